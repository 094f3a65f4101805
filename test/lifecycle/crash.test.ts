import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openStore } from '../../src/store/database.js';
import { MASTER_KEY } from '../support/app.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

const N = Number(process.env.BDCERT_CRASH_N ?? 12);

describe(`crash during batch sealing [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-crash-'));
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`kill -9 while sealing ${N} certificates, restart: each sealed exactly once, numbers gap-free, identifiers unique`, async () => {
    const pg = await createTestDatabaseUrl();
    drop = pg?.drop;
    const env = {
      ...process.env,
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: pg?.url ?? '',
      BDCERT_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
    };
    const child = (...args: string[]) =>
      [process.execPath, ['--import', 'tsx', 'test/support/seal-child.ts', ...args]] as const;
    const [cmd, args] = child('prepare', String(N));
    const prep = spawnSync(cmd, args, { env, encoding: 'utf8' });
    assert.equal(prep.status, 0, prep.stderr);
    assert.match(prep.stdout, new RegExp(`batch \\S+ ${N}`));

    // First sealing run: killed with SIGKILL as soon as some (not all) certificates are sealed.
    const [c2, a2] = child('seal');
    const p = spawn(c2, a2, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let killedAt = -1;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = [...out.matchAll(/sealed (\d+)/g)].at(-1);
        if (m && Number(m[1]) >= 2 && killedAt < 0) {
          killedAt = Number(m[1]);
          p.kill('SIGKILL');
        }
      });
      p.on('exit', () => resolve());
      p.on('error', reject);
    });
    assert.ok(killedAt >= 2 && killedAt < N, `killed mid-batch (after ${killedAt} of ${N})`);

    // Restart: the unfinished batch resumes to the end.
    const [c3, a3] = child('seal');
    const again = spawnSync(c3, a3, { env, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /done/);

    const store = await openStore(pg ? { databaseUrl: pg.url } : { dataDir: env.DATA_DIR });
    try {
      const certs = await store.db
        .selectFrom('certificates')
        .select(['id', 'status', 'serial', 'identifier', 'ofd_blob'])
        .orderBy('serial')
        .execute();
      assert.equal(certs.length, N);
      assert.ok(
        certs.every((c) => c.status === 'issued' && c.ofd_blob),
        'every certificate sealed',
      );
      assert.deepEqual(
        certs.map((c) => c.serial),
        Array.from({ length: N }, (_, i) => i + 1),
        'numbers gap-free',
      );
      assert.equal(new Set(certs.map((c) => c.identifier)).size, N, 'identifiers unique');
      const seals = await store.db
        .selectFrom('certificate_events')
        .select(['certificate_id'])
        .where('event', '=', 'seal')
        .execute();
      assert.equal(seals.length, N, 'exactly one seal event per certificate');
      assert.equal(new Set(seals.map((s) => s.certificate_id)).size, N);
      const batches = await store.db.selectFrom('seal_batches').select(['status', 'sealed']).execute();
      assert.deepEqual(
        batches.map((b) => b.status),
        ['done'],
      );
    } finally {
      await store.close();
    }
  });
});
