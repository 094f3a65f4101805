import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { recordAudit } from '../../src/modules/audit/audit.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { insertAgency } from '../identity/fixture.js';
import type { TestStore } from '../support/store.js';

const cli = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, DATABASE_URL: '', ...env },
    encoding: 'utf8',
  });

// The real binary on an embedded database directory (the CLI opens it while no server runs).
describe('bdcert audit verify / users (CLI, embedded database)', () => {
  test('exit 0 on an intact chain; after a direct change, exit 1 naming the row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-cli-audit-'));
    try {
      let store = await openStore({ dataDir: dir });
      await migrateToLatest(store.db);
      for (let i = 0; i < 4; i++)
        await recordAudit(store.db, {
          actor: { kind: 'system', id: 't' },
          action: 'x.test',
          result: 'success',
          caseNo: `C${i}`,
        });
      await store.close();
      const ok = cli({ DATA_DIR: dir }, 'audit', 'verify');
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /audit chain intact: 4/);

      store = await openStore({ dataDir: dir });
      await sql`alter table audit.entries disable trigger user`.execute(store.db);
      await sql`update audit.entries set case_no = 'FORGED' where seq = 3`.execute(store.db);
      await store.close();
      const bad = cli({ DATA_DIR: dir }, 'audit', 'verify');
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /row seq=3 was altered/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('users create prints a one-time password once; no default users exist in production', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-cli-users-'));
    try {
      const store = await openStore({ dataDir: dir });
      await migrateToLatest(store.db);
      await insertAgency(store as TestStore, '潢川县不动产登记中心', '12411526MB0000001A', '411526');
      assert.equal((await store.db.selectFrom('staff_users').selectAll().execute()).length, 0);
      await store.close();
      const env = {
        DATA_DIR: dir,
        BDCERT_MODE: 'production',
        BASE_URL: 'https://bdc.example.gov.cn',
        BDCERT_MASTER_KEY: 'ab'.repeat(32),
      };
      const r = cli(
        env,
        'users',
        'create',
        '--agency',
        '12411526MB0000001A',
        '--username',
        'first-admin',
        '--name',
        '管理员',
        '--roles',
        'agency-admin',
      );
      assert.equal(r.status, 0, r.stderr);
      const pw = /initial password \(shown once\): (\S+)/.exec(r.stdout)?.[1];
      assert.ok(pw && pw.length >= 12);
      const bad = cli(
        env,
        'users',
        'create',
        '--agency',
        '12411526MB0000001A',
        '--username',
        'x1',
        '--name',
        'x',
        '--roles',
        'god',
      );
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /unknown role "god"/);
      const list = cli(env, 'users', 'list', '--agency', '12411526MB0000001A');
      assert.match(list.stdout, /first-admin\t管理员\tagency-admin/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
