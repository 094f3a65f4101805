import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpRealName, type RealNamePort } from '../../src/modules/integrations/realname/realname.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

describe(`[${TEST_BACKEND}] own password, TOTP reset, unavailable real-name service`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture();
  });
  after(async () => f.close());

  test("changing one's password ends the other sessions and enforces the policy", async () => {
    const u = await f.addUser(f.agencyA, 'pw-user', ['registrar']);
    const t1 = await f.login(u);
    const t2 = await f.login(u);
    const weak = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: bearer(t1),
      payload: { oldPassword: u.password, newPassword: 'short' },
    });
    assert.equal(weak.statusCode, 400);
    const wrongOld = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: bearer(t1),
      payload: { oldPassword: 'nope-nope-nope', newPassword: 'Xin-Mi-Ma-2026!' },
    });
    assert.equal(wrongOld.statusCode, 401);
    const ok = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: bearer(t1),
      payload: { oldPassword: u.password, newPassword: 'Xin-Mi-Ma-2026!' },
    });
    assert.equal(ok.statusCode, 204);
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(t1) })).statusCode, 200);
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(t2) })).statusCode, 401);
    assert.equal((await f.login({ ...u, password: 'Xin-Mi-Ma-2026!' })).length > 20, true);
  });

  test('an admin resets a lost TOTP: the user signs in with password only and must enrol again', async () => {
    const admin = await f.login(await f.addUser(f.agencyA, 'pw-admin', ['agency-admin']));
    const u = await f.addUser(f.agencyA, 'lost-phone', ['registrar'], { totp: true });
    const r = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${u.id}`,
      headers: bearer(admin),
      payload: { resetTotp: true },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().totpEnabled, false);
    const login = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: u.username, password: u.password },
    });
    assert.equal(login.json().next, 'done'); // demo mode: enrolment optional
    const en = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enrol',
      headers: bearer(login.json().token),
    });
    assert.equal(en.statusCode, 200);
    assert.notEqual(en.json().secret, u.totpSecret);
  });

  test('holder sign-in answers 503 when the real-name service is down, without sending an SMS', async () => {
    const svc = f.identity.service;
    const down = new HttpRealName('http://127.0.0.1:9/unreachable', undefined, 500);
    const original = svc.deps.realName;
    (svc.deps as { realName: RealNamePort }).realName = down; // swap the port for this test only
    const before = f.sms.sent.length;
    try {
      const r = await f.app.inject({
        method: 'POST',
        url: '/api/v1/auth/holder/sms',
        payload: { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' },
      });
      assert.equal(r.statusCode, 503);
      assert.equal(f.sms.sent.length, before);
    } finally {
      (svc.deps as { realName: RealNamePort }).realName = original;
    }
  });
});

describe(`[${TEST_BACKEND}] throttling by source address`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture();
  });
  after(async () => f.close());

  test('password spraying across accounts from one address is throttled; other addresses are not', async () => {
    const users = await Promise.all(
      ['spray-1', 'spray-2', 'spray-3'].map((n) => f.addUser(f.agencyA, n, ['registrar'])),
    );
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const u = users[i % 3];
      last = (
        await f.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '203.0.113.7',
          payload: { username: u?.username ?? '', password: `Guess-${i}-Password!` },
        })
      ).statusCode;
    }
    assert.equal(last, 401); // each account locked along the way, but every attempt so far got an answer
    const blocked = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '203.0.113.7',
      payload: { username: 'spray-1', password: 'whatever-password' },
    });
    assert.equal(blocked.statusCode, 429);
    const elsewhere = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '198.51.100.2',
      payload: { username: 'nobody-here', password: 'whatever-password' },
    });
    assert.equal(elsewhere.statusCode, 401);
    f.clock.now = new Date(f.clock.now.getTime() + 16 * 60_000);
    const later = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '203.0.113.7',
      payload: { username: 'nobody-here', password: 'whatever-password' },
    });
    assert.equal(later.statusCode, 401);
  });
});
