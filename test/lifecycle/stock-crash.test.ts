import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { openStore } from '../../src/store/database.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { toCsv } from '../register/support.js';
import { MASTER_KEY } from '../support/app.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

// Small enough for CI, large enough that each run is killed with most of its work still ahead.
const N = Number(process.env.BDCERT_STOCK_CRASH_N ?? 120);
const GROUP = 10;

function stockCsv(n: number): string {
  const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
  const rows = Array.from({ length: n }, (_, i) => {
    const row = toChineseRecord('property-certificate', {
      ...face,
      holders: [{ name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' }],
      coOwnership: '单独所有',
      unitNo: `411526001002GB${String(i + 1).padStart(5, '0')}F00010203`,
      certificateNo: `豫(2020)潢川县不动产权第${String(i + 1).padStart(7, '0')}号`,
      registeredOn: '20200615',
    });
    for (const k of ['电子证照标识', '信息二维码', '查询二维码']) delete row[k];
    return row;
  });
  return toCsv(rows);
}

describe(`bdcert import-stock killed with SIGKILL [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-stock-crash-'));
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`killed mid-import, then killed mid-sealing, run again: ${N} rows imported once, numbers gap-free, all sealed, audit chain intact`, async () => {
    const pg = await createTestDatabaseUrl();
    drop = pg?.drop;
    const env = {
      ...process.env,
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: pg?.url ?? '',
      BDCERT_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
    };
    const file = join(dir, 'stock.csv');
    writeFileSync(file, stockCsv(N));
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'import-stock', file, '--agency', '411526'];
    const open = () => openStore(pg ? { databaseUrl: pg.url } : { dataDir: env.DATA_DIR });

    /**
     * Runs the real CLI in a child process and SIGKILLs it at the first progress line of `label` past 0 (`last`: at
     * the line that shows the whole file done).
     */
    const runAndKill = (label: string, last = false) =>
      new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, [...args, '--batch', String(GROUP)], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        let killedAt = -1;
        p.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = [...err.matchAll(new RegExp(`${label} (\\d+)/(\\d+)`, 'g'))].find((x) =>
            last ? x[1] === x[2] : Number(x[1]) > 0,
          );
          if (m && killedAt < 0) {
            killedAt = Number(m[1]);
            p.kill('SIGKILL');
          }
        });
        p.on('exit', (_code, signal) =>
          signal === 'SIGKILL' ? resolve(killedAt) : reject(new Error(`not killed (${label}): ${err}`)),
        );
        p.on('error', reject);
      });
    const counts = async () => {
      const s = await open();
      try {
        const entries = await s.db.selectFrom('register_entries').select('id').execute();
        const certs = await s.db.selectFrom('certificates').select('status').execute();
        const running = await s.db.selectFrom('seal_batches').select('id').where('status', '=', 'running').execute();
        return {
          entries: entries.length,
          issued: certs.filter((c) => c.status === 'issued').length,
          running: running.length,
        };
      } finally {
        await s.close();
      }
    };

    // 1. Killed while recording rows: whole groups are in (each group is one transaction), the rest is not.
    await runAndKill('导入 import');
    const mid = await counts();
    assert.ok(mid.entries > 0 && mid.entries < N, `killed mid-import (${mid.entries} of ${N} recorded)`);
    assert.equal(mid.entries % GROUP, 0, 'a killed group leaves nothing behind');
    // sealing runs beside the import (stock-sealing.ts): killed this early, it has sealed at most a few
    assert.ok(mid.issued < mid.entries, `${mid.issued} of ${mid.entries} sealed when killed`);

    // 2. Run again and kill it while sealing: the rows already in are replays, the rest are recorded. Sealing runs
    // beside the import (stock-sealing.ts), so the moment the import reports its last row is mid-sealing: the
    // rows of its last group cannot have been drawn and sealed yet, while a stock batch has been running since the
    // file validated with the first run's rows pending.
    await runAndKill('导入 import', true);
    const sealing = await counts();
    assert.equal(sealing.entries, N, 'every row recorded');
    assert.ok(sealing.issued < N, `killed mid-sealing (${sealing.issued} of ${N} sealed)`);
    assert.ok(
      sealing.issued > 0 || sealing.running > 0,
      `sealing had begun (${sealing.issued} sealed, ${sealing.running} batch running)`,
    );

    // 3. Run to the end: nothing imported again, the interrupted batch finished.
    const last = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    assert.equal(last.status, 0, last.stderr);
    assert.match(last.stdout, new RegExp(`已导入 imported 0，已存在 already present ${N}，拒绝 rejected 0`));

    const s = await open();
    try {
      const certs = await s.db
        .selectFrom('certificates')
        .select(['id', 'status', 'serial', 'certificate_no', 'identifier', 'ofd_blob', 'pdf_blob'])
        .orderBy('serial')
        .execute();
      assert.equal(certs.length, N, 'one certificate per row');
      assert.deepEqual(
        certs.map((c) => c.serial),
        Array.from({ length: N }, (_, i) => i + 1),
        'paper numbers kept, gap-free, none twice',
      );
      assert.equal(new Set(certs.map((c) => c.identifier)).size, N, 'identifiers unique');
      assert.ok(
        certs.every((c) => c.status === 'issued' && c.ofd_blob && c.pdf_blob),
        'everything sealed',
      );
      const counter = await s.db.selectFrom('certificate_counters').select('last_serial').executeTakeFirstOrThrow();
      assert.equal(counter.last_serial, N, 'the counter stands past the last paper number');
      const events = await s.db.selectFrom('certificate_events').select(['certificate_id', 'event']).execute();
      for (const ev of ['render', 'seal']) {
        const of = events.filter((e) => e.event === ev);
        assert.equal(of.length, N, `one ${ev} event per certificate`);
        assert.equal(new Set(of.map((e) => e.certificate_id)).size, N);
      }
      const audited = await s.db
        .selectFrom('audit.entries')
        .select(['object_id'])
        .where('action', '=', 'register.entry')
        .execute();
      assert.equal(audited.length, N, 'every row audited once');
      assert.equal(new Set(audited.map((a) => a.object_id)).size, N);
      const outbox = await s.db
        .selectFrom('outbox')
        .select(['event_type'])
        .where('event_type', 'in', ['entry.recorded', 'certificate.pending-seal'])
        .execute();
      assert.equal(outbox.length, 2 * N, 'both outbox events of every row');
      const batches = await s.db.selectFrom('seal_batches').select(['status']).execute();
      assert.ok(
        batches.every((b) => b.status === 'done'),
        `no batch left running: ${JSON.stringify(batches)}`,
      );
    } finally {
      await s.close();
    }
    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /audit chain intact/);
  });
});
