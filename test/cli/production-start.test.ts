import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/**
 * Issue 4 §3: production mode refuses to start without BDCERT_MASTER_KEY — keys and personal data encrypted under a
 * key nobody kept could never be read again — and never falls back to generating a key file as demo mode does.
 */
describe('bdcert start in production mode', () => {
  test('without BDCERT_MASTER_KEY it refuses to start, names the variable, and writes no key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-prod-start-'));
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        BDCERT_MODE: 'production',
        BASE_URL: 'https://bdc.example.gov.cn',
        DATA_DIR: dir,
        PORT: '0',
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
      };
      delete env.BDCERT_MASTER_KEY;
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.notEqual(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.signal, null, 'it exits by itself, not by the timeout');
      assert.match(r.stderr, /生产模式须配置主密钥 BDCERT_MASTER_KEY/);
      assert.match(r.stderr, /production needs BDCERT_MASTER_KEY/);
      assert.doesNotMatch(r.stdout, /已启动 \/ started/);
      assert.equal(existsSync(join(dir, 'keys', 'field-master.key')), false, 'no key generated in production');
      assert.equal(existsSync(join(dir, 'keys', 'dev-ca.json')), false, 'no development CA in production');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
