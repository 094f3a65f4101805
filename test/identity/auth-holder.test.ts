import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

const person = { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' };

describe(`[${TEST_BACKEND}] holder SMS sign-in`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture();
  });
  after(async () => f.close());

  const start = (payload: object) => f.app.inject({ method: 'POST', url: '/api/v1/auth/holder/sms', payload });
  const finish = (payload: object) => f.app.inject({ method: 'POST', url: '/api/v1/auth/holder/login', payload });

  test('happy: real-name check, SMS code, holder session keyed by the HMAC of the ID number', async () => {
    const s = await start(person);
    assert.equal(s.statusCode, 200, s.body);
    const { challengeId, maskedPhone, demoCode } = s.json() as {
      challengeId: string;
      maskedPhone: string;
      demoCode: string;
    };
    assert.equal(maskedPhone, '138****5678');
    const sent = f.sms.sent.at(-1);
    assert.ok(sent?.text.includes(demoCode));
    assert.equal(sent?.phone, person.phone);
    const l = await finish({ challengeId, code: demoCode });
    assert.equal(l.statusCode, 200, l.body);
    const token = (l.json() as { token: string }).token;
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
    assert.deepEqual(me.json(), { kind: 'holder' });
    const session = await f.store.db
      .selectFrom('sessions')
      .selectAll()
      .where('kind', '=', 'holder')
      .executeTakeFirstOrThrow();
    assert.equal(session.holder_key, f.identity.service.deps.fieldCrypto.index(person.idNumber));
    // Nothing stored or audited carries the ID number or the name in the clear.
    const dump = JSON.stringify([
      await f.store.db.selectFrom('holder_sms_challenges').selectAll().execute(),
      await f.store.db.selectFrom('audit.entries').selectAll().execute(),
    ]);
    assert.ok(!dump.includes(person.idNumber) && !dump.includes(person.name));
    // A code works once.
    assert.equal((await finish({ challengeId, code: demoCode })).statusCode, 401);
  });

  test('error: real-name mismatch and malformed input are refused', async () => {
    assert.equal((await start({ ...person, name: '冒名者' })).statusCode, 401);
    assert.equal((await start({ ...person, idNumber: '110105194912310021' })).statusCode, 401); // bad check digit
    assert.equal((await start({ ...person, phone: '123' })).statusCode, 400);
  });

  test('security: wrong codes burn the challenge; expired codes are refused; sending is rate-limited', async () => {
    const s = await start(person);
    const { challengeId, demoCode } = s.json() as { challengeId: string; demoCode: string };
    const wrong = demoCode === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) assert.equal((await finish({ challengeId, code: wrong })).statusCode, 401);
    assert.equal((await finish({ challengeId, code: demoCode })).statusCode, 401, 'burnt after 5 wrong codes');

    const s2 = (await start(person)).json() as { challengeId: string; demoCode: string };
    f.clock.now = new Date(f.clock.now.getTime() + 6 * 60_000);
    assert.equal((await finish({ challengeId: s2.challengeId, code: s2.demoCode })).statusCode, 401, 'expired');

    // At most 5 codes per holder per hour.
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await start(person)).statusCode;
    assert.equal(last, 429);
  });
});

describe(`[${TEST_BACKEND}] holder SMS sign-in in production`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({ mode: 'production' });
  });
  after(async () => f.close());
  test('security: the code is never in the answer outside demo mode', async () => {
    const s = await f.app.inject({ method: 'POST', url: '/api/v1/auth/holder/sms', payload: person });
    assert.equal(s.statusCode, 200);
    assert.equal((s.json() as { demoCode?: string }).demoCode, undefined);
  });
});
