import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { identityDemoStep } from '../../src/modules/identity/demo.js';
import { verifyPassword } from '../../src/modules/identity/passwords.js';
import { openTestStore, TEST_BACKEND } from '../support/store.js';
import { insertAgency } from './fixture.js';

describe(`[${TEST_BACKEND}] identity demo step`, () => {
  test('creates one user per role per agency with generated passwords, idempotently, and prints them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-demo-id-'));
    const store = await openTestStore();
    try {
      const config = loadConfig({ DATA_DIR: dir, BDCERT_MODE: 'demo', BDCERT_MASTER_KEY: '' });
      const empty = { config, store, notes: [] as string[] };
      await identityDemoStep.run(empty);
      assert.match(empty.notes.join('\n'), /no agency yet/);
      await insertAgency(store, '潢川县不动产登记中心', '12411526MB0000001A', '411526');
      const first = { config, store, notes: [] as string[] };
      await identityDemoStep.run(first);
      const users = await store.db
        .selectFrom('staff_users')
        .select(['username', 'password_hash', 'roles'])
        .orderBy('username')
        .execute();
      assert.deepEqual(
        users.map((u) => u.username),
        ['411526-admin', '411526-auditor', '411526-registrar', '411526-sealer', 'province-admin'],
      );
      const line = first.notes.find((n) => n.includes('411526-registrar'));
      const pw = line?.trim().split(/\s+/)[1] ?? '';
      const reg = users.find((u) => u.username === '411526-registrar');
      assert.ok(reg && (await verifyPassword(reg.password_hash, pw)), 'printed password signs in');
      assert.match(first.notes.join('\n'), /API client: bdc_\S+ \/ \S+/);
      const second = { config, store, notes: [] as string[] };
      await identityDemoStep.run(second);
      assert.equal((await store.db.selectFrom('staff_users').select('id').execute()).length, 5);
      assert.deepEqual(second.notes, first.notes, 'later starts print the same sign-ins');
      const prod = {
        config: loadConfig({ DATA_DIR: dir, BDCERT_MODE: 'production', BASE_URL: 'https://x.example' }),
        store,
        notes: [] as string[],
      };
      await identityDemoStep.run(prod);
      assert.deepEqual(prod.notes, []);
    } finally {
      await store.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
