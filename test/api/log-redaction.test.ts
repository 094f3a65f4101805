import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { type App, buildServer, createLogger } from '../../src/http/server.js';
import { DEMO_STEPS } from '../../src/modules/demo/seed.js';
import { createServices, routePlugins, type Services } from '../../src/modules/services.js';
import { MASTER_KEY } from '../support/app.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';
import { HC, OWNER } from './world.js';

const PHONE = '13812345678';
const SECRET = 'S3cr3t-client-value-that-must-not-leak';
const PASSWORD = 'Pw-that-must-not-leak-2026!';
const TOTP = '482913';

/**
 * Issue 7 §7 (masked in lists and logs): requests carrying ID numbers, names, passwords, one-time codes, tokens and
 * secrets go through the real server and its real logger; the captured log lines contain none of them.
 */
describe(`[${TEST_BACKEND}] log redaction through the real server`, () => {
  const lines: string[] = [];
  let store: TestStore;
  let services: Services;
  let app: App;
  let dataDir = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bdcert-log-'));
    store = await openTestStore();
    const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
    const config = loadConfig({ DATA_DIR: dataDir, BASE_URL: 'https://bdc.example.gov.cn', BDCERT_MODE: 'demo' });
    services = await createServices(config, store, { env: { BDCERT_MASTER_KEY: MASTER_KEY }, log });
    await DEMO_STEPS[0]!.run({ config, store, notes: [] });
    // A route that logs a request body deep down and one that fails with personal data in its error message: what
    // a careless future handler might do.
    const probe = (scope: App) => {
      scope.post('/probe/log', async (req) => {
        req.log.info({ payload: { level1: { level2: { level3: req.body } } } }, 'probe body');
        return { ok: true };
      });
      scope.get('/probe/crash', async () => {
        throw new Error(`lookup of ${OWNER.idNumber} failed; retried with Bearer ${SECRET}`);
      });
    };
    app = await buildServer({ config, store, plugins: [...routePlugins(services), probe], loggerInstance: log });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('ID numbers, names, passwords, TOTP and SMS codes, tokens and secrets never reach the log', async () => {
    const sensitive: string[] = [OWNER.idNumber, OWNER.name, PHONE, SECRET, PASSWORD, TOTP];
    // Staff: a failed and a successful sign-in, then calls with the session token in the header and in a query.
    const user = await services.identity.service.createStaffUser(
      {
        agencyId: (
          await store.db
            .selectFrom('agencies')
            .select('id')
            .where('region_code', '=', HC.region)
            .executeTakeFirstOrThrow()
        ).id,
        username: 'log-registrar',
        displayName: '王登簿',
        roles: ['registrar'],
        password: PASSWORD,
      },
      { kind: 'system', id: 'test' },
    );
    assert.ok(user.user.id);
    sensitive.push('王登簿');
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'log-registrar', password: 'nope' },
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'log-registrar', password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const token = login.json().token as string;
    sensitive.push(token);
    await app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: `/api/v1/auth/me?token=${token}`, headers: { cookie: `bdcert_session=${token}` } });
    await app.inject({
      method: 'POST',
      url: '/api/v1/certificates/search',
      headers: { authorization: `Bearer ${token}` },
      payload: { holderIdNumber: OWNER.idNumber },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/step-up',
      headers: { authorization: `Bearer ${token}` },
      payload: { code: TOTP },
    });
    // Holder: real-name check (name, ID number, phone) and the SMS code, which the simulator "sends" to the log.
    const sms = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/holder/sms',
      payload: { name: OWNER.name, idNumber: OWNER.idNumber, phone: PHONE },
    });
    assert.equal(sms.statusCode, 200, sms.body);
    const { challengeId, demoCode } = sms.json() as { challengeId: string; demoCode: string };
    const holder = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/holder/login',
      payload: { challengeId, code: demoCode },
    });
    sensitive.push(holder.json().token as string);
    // An institution's client secret, a public verification token in the path.
    await app.inject({
      method: 'POST',
      url: '/api/v1/share/search',
      headers: { authorization: `Basic ${Buffer.from(`bdc_nobody:${SECRET}`).toString('base64')}` },
      payload: {},
    });
    const verifyToken = 'AbCdEfGhIjKlMnOpQrStUv';
    sensitive.push(verifyToken);
    await app.inject({ url: `/api/v1/verify/${verifyToken}` });
    // Careless handlers: a body logged four levels deep, an error message with an ID number and a bearer token.
    await app.inject({
      method: 'POST',
      url: '/probe/log',
      payload: {
        holders: [{ name: OWNER.name, idNumber: OWNER.idNumber, phone: PHONE }],
        holderCode: OWNER.idNumber,
        credentials: { password: PASSWORD, secret: SECRET, token, totp: TOTP, smsCode: demoCode, code: TOTP },
        note: `持证人 ${OWNER.idNumber}`,
      },
    });
    assert.equal((await app.inject({ url: '/probe/crash' })).statusCode, 500);

    const log = lines.join('');
    assert.ok(lines.length > 15, `the requests were logged (${lines.length} lines)`);
    for (const line of lines) JSON.parse(line); // every line is still JSON
    for (const s of sensitive) assert.ok(!log.includes(s), `leaked: ${s}`);
    // The SMS code as a whole number (not as a part of a timestamp or a duration).
    assert.doesNotMatch(log, new RegExp(`(?<![\\d.])${demoCode}(?![\\d.])`));
    // What is left is useful: masked values and markers where the secrets were.
    assert.match(log, /1101\*{10}002X/);
    assert.match(log, /验证码为 \*{6}/);
    assert.match(log, /\[redacted\]/);
    assert.match(log, /"msg":"probe body"/);
    assert.match(log, /"url":"\/api\/v1\/verify\/\[redacted\]"/);
  });
});
