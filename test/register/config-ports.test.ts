import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, portsFromEnv, withEnvOverrides } from '../../src/config.js';
import { loadCodeTables } from '../../src/modules/register/code-tables.js';

const KEY = 'ab'.repeat(32);

describe('configuration of ports, keys and limits (one typed config, issue 2 §2)', () => {
  test('defaults: no ports configured, the Henan proof type code, 120/600 per minute', () => {
    const p = loadConfig({}).ports;
    assert.equal(p.masterKey, undefined);
    assert.equal(p.signingUrl, undefined);
    assert.equal(p.proofTypeCode, '11100000MB03271699002');
    assert.deepEqual(p.rateLimits, { sharePerMinute: 120, publicPerMinute: 600 });
    assert.equal(p.codeTablesFile, undefined);
  });

  test('every bad value stops with the variable named; nothing silently falls back to a default', () => {
    const bad = {
      BDCERT_MASTER_KEY: 'not-hex',
      BDCERT_SIGNING_URL: 'sign-server',
      BDCERT_SEAL_REGISTRY_URL: 'nope',
      BDCERT_PROOF_TYPE_CODE: '11100000MB03271699001',
      BDCERT_SHARE_RATE_LIMIT: 'many',
      BDCERT_PUBLIC_RATE_LIMIT: '0',
      BDCERT_SMS_URL: 'x',
      BDCERT_SMS_TOKEN: 'short',
      BDCERT_REALNAME_URL: 'y',
      BDCERT_REALNAME_TOKEN: 'tiny',
    };
    try {
      loadConfig(bad);
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.variable).sort(), Object.keys(bad).sort());
      assert.match(e.message, /BDCERT_PROOF_TYPE_CODE="11100000MB03271699001": expected 21 characters/);
      assert.match(e.message, /BDCERT_SHARE_RATE_LIMIT="many": expected requests per minute/);
    }
  });

  test('BDCERT_PROOF_TYPE_CODE accepts 002 and 022, refuses a wrong check character or definer', () => {
    assert.equal(
      loadConfig({ BDCERT_PROOF_TYPE_CODE: '11100000MB03271699022' }).ports.proofTypeCode,
      '11100000MB03271699022',
    );
    for (const v of ['11100000MB0327169X002', '11410000MB1A0001XT002', '1110000MB03271699002', '11100000MB03271699O02'])
      assert.throws(() => loadConfig({ BDCERT_PROOF_TYPE_CODE: v }), /BDCERT_PROOF_TYPE_CODE/, v);
  });

  test('secrets are never printed: not in errors, not in JSON, not by inspect', () => {
    const wrong = 'my-real-sms-token-put-in-the-wrong-place';
    try {
      loadConfig({ BDCERT_MASTER_KEY: wrong });
      assert.fail('expected ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.ok(!e.message.includes(wrong));
      assert.match(e.message, /BDCERT_MASTER_KEY="<hidden: 40 characters>": expected 64 hex digits/);
    }
    const c = loadConfig({
      BDCERT_MASTER_KEY: KEY,
      BDCERT_SMS_URL: 'https://sms.example.gov.cn/send',
      BDCERT_SMS_TOKEN: wrong,
    });
    assert.equal(c.ports.masterKey?.reveal(), KEY);
    assert.equal(c.ports.sms.token?.reveal(), wrong);
    const printed = `${JSON.stringify(c)} ${inspect(c, { depth: 10 })} ${String(c.ports.masterKey)}`;
    assert.ok(!printed.includes(KEY) && !printed.includes(wrong), printed);
  });

  test('withEnvOverrides replaces only the variables given; portsFromEnv validates the same way', () => {
    const c = loadConfig({ BDCERT_SHARE_RATE_LIMIT: '30', BDCERT_SIGNING_URL: 'https://sign.example.gov.cn' });
    const o = withEnvOverrides(c, { BDCERT_MASTER_KEY: KEY });
    assert.equal(o.ports.masterKey?.reveal(), KEY);
    assert.equal(o.ports.rateLimits.sharePerMinute, 30);
    assert.equal(o.ports.signingUrl, 'https://sign.example.gov.cn');
    assert.equal(withEnvOverrides(c, {}), c);
    assert.throws(() => withEnvOverrides(c, { BDCERT_PUBLIC_RATE_LIMIT: '-5' }), /BDCERT_PUBLIC_RATE_LIMIT/);
    assert.equal(portsFromEnv({ BDCERT_PUBLIC_RATE_LIMIT: '9' }).rateLimits.publicPerMinute, 9);
  });

  test('BDCERT_CODE_TABLES: a valid file extends the configuration tables; an invalid one stops the start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-codes-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(
        good,
        JSON.stringify({
          version: '豫-2026-01',
          tables: { proofMatter: { entries: [{ code: '12', name: '地役权' }] } },
        }),
      );
      const t = loadCodeTables(loadConfig({ BDCERT_CODE_TABLES: good }).ports.codeTablesFile);
      assert.equal(t.version, 'builtin+豫-2026-01');
      const bad = join(dir, 'bad.json');
      writeFileSync(
        bad,
        JSON.stringify({ version: '1', tables: { rightType: { entries: [{ code: '30', name: '自创权利' }] } } }),
      );
      assert.throws(
        () => loadCodeTables(bad),
        /BDCERT_CODE_TABLES=.*\n.*tables\.rightType: CODE_TABLE_NOT_CONFIGURABLE/,
      );
      writeFileSync(join(dir, 'broken.json'), '{');
      assert.throws(() => loadCodeTables(join(dir, 'broken.json')), /BDCERT_CODE_TABLES=.*readable JSON/);
      // The process refuses to start with it, naming the variable.
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
        env: {
          ...process.env,
          DATA_DIR: join(dir, 'data'),
          DATABASE_URL: '',
          PORT: '0',
          BDCERT_CODE_TABLES: bad,
          LOG_LEVEL: 'silent',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /BDCERT_CODE_TABLES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
