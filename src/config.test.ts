import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  test('defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.mode, 'demo');
    assert.equal(c.role, 'all');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.baseUrl, 'http://127.0.0.1:8080');
    assert.match(c.dataDir, /\/data$/);
  });

  test('bad PORT names the variable and the expected form', () => {
    assert.throws(
      () => loadConfig({ PORT: 'abc' }),
      (e: unknown) => e instanceof ConfigError && /PORT="abc": expected an integer port number/.test(e.message),
    );
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  });

  test('every invalid variable is reported at once', () => {
    try {
      loadConfig({ BDCERT_MODE: 'prod', BDCERT_ROLE: 'town', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.variable).sort(), [
        'BDCERT_MODE',
        'BDCERT_ROLE',
        'DATABASE_URL',
        'LOG_LEVEL',
      ]);
    }
  });

  test('production requires BASE_URL', () => {
    assert.throws(() => loadConfig({ BDCERT_MODE: 'production' }), /BASE_URL/);
    const c = loadConfig({ BDCERT_MODE: 'production', BASE_URL: 'https://bdc.example.gov.cn/' });
    assert.equal(c.baseUrl, 'https://bdc.example.gov.cn');
  });
});
