import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseEnrolmentToken } from '../../src/modules/sync/protocol.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

describe(`bdcert sync (command line) and its configuration [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-sync-cli-'));
  const drops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const d of drops) await d();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sync', ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', BDCERT_MASTER_KEY: '8d'.repeat(32), ...env },
      encoding: 'utf8',
    });

  test('a city needs BDCERT_NODE_ID; bad sync settings name their variable', () => {
    assert.throws(
      () => loadConfig({ BDCERT_ROLE: 'city' }),
      (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.variable === 'BDCERT_NODE_ID'),
    );
    assert.throws(() => loadConfig({ BDCERT_SYNC_TIMES: '12:00,25:00' }), /BDCERT_SYNC_TIMES="12:00,25:00"/);
    assert.throws(() => loadConfig({ BDCERT_SYNC_MODE: 'hourly' }), /BDCERT_SYNC_MODE/);
    const c = loadConfig({
      BDCERT_ROLE: 'city',
      BDCERT_NODE_ID: 'city-4115',
      BDCERT_PROVINCE_URL: 'https://p.example/',
    });
    assert.equal(c.sync.provinceUrl, 'https://p.example');
    assert.deepEqual(c.sync.times, ['12:00', '18:00']);
    assert.equal(loadConfig({}).sync.nodeId, 'local');
  });

  test('token on a province, status, and a city that cannot join or reconcile says why', async () => {
    const pgP = await createTestDatabaseUrl();
    const pgC = await createTestDatabaseUrl();
    for (const x of [pgP, pgC]) if (x) drops.push(x.drop);
    const province = {
      DATA_DIR: join(dir, 'province'),
      DATABASE_URL: pgP?.url ?? '',
      BDCERT_ROLE: 'province',
      BDCERT_NODE_ID: 'henan',
    };
    const t = cli(province, 'token', '--label', '信阳市电子证照系统', '--regions', '4115');
    assert.equal(t.status, 0, t.stderr);
    const token = t.stdout.trim();
    assert.equal(parseEnrolmentToken(token)?.provinceNodeId, 'henan');
    assert.match(t.stderr, /仅显示一次/);
    const s = cli(province, 'status', '--json');
    assert.equal(s.status, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).role, 'province');
    const city = {
      DATA_DIR: join(dir, 'city'),
      DATABASE_URL: pgC?.url ?? '',
      BDCERT_ROLE: 'city',
      BDCERT_NODE_ID: 'city-4115',
    };
    // Nothing listens on port 9: the join fails with the reason, exit 1.
    const j = cli(city, 'join', '--province', 'http://127.0.0.1:9', '--token', token);
    assert.equal(j.status, 1);
    assert.match(j.stderr, /无法连接省级节点.*Province node unreachable/);
    const r = cli(city, 'reconcile');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /尚未注册到省级节点/);
  });
});
