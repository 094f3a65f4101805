import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/modules/audit/audit.js';
import { tokenHash } from '../../src/modules/identity/sessions.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

describe(`[${TEST_BACKEND}] staff sign-in`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture();
  });
  after(async () => f.close());

  const login = (username: string, password: string) =>
    f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

  test('happy: password + TOTP gives a full session; me; the cookie is HttpOnly SameSite; only the SM3 is stored', async () => {
    const u = await f.addUser(f.agencyA, 'reg-a', ['registrar'], { totp: true });
    const r = await login(u.username, u.password);
    assert.equal(r.statusCode, 200);
    const half = r.json() as { token: string; next: string };
    assert.equal(half.next, 'totp');
    assert.match(String(r.headers['set-cookie']), /bdcert_session=.+; Path=\/; HttpOnly; SameSite=Strict; .*Secure/);
    // The half session cannot do anything but the TOTP step.
    const meHalf = await f.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(half.token) });
    assert.equal(meHalf.statusCode, 401);
    const t = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: bearer(half.token),
      payload: { code: f.totp(u) },
    });
    assert.equal(t.statusCode, 200, t.body);
    const full = (t.json() as { token: string }).token;
    assert.notEqual(full, half.token);
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(full) });
    assert.equal(me.statusCode, 200);
    assert.deepEqual(
      { ...(me.json() as object), userId: undefined, agencyId: undefined },
      {
        kind: 'staff',
        userId: undefined,
        agencyId: undefined,
        username: 'reg-a',
        displayName: '测试reg-a',
        regionCode: '411526',
        roles: ['registrar'],
        mfa: true,
        totpEnabled: true,
      },
    );
    // The cookie works as well as the header.
    const byCookie = await f.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: `x=1; bdcert_session=${full}` },
    });
    assert.equal(byCookie.statusCode, 200);
    const stored = await f.store.db.selectFrom('sessions').select('token_hash').execute();
    assert.ok(stored.some((s) => s.token_hash === tokenHash(full)));
    assert.ok(!stored.some((s) => s.token_hash === full));
    // The half session was replaced.
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(half.token) })).statusCode,
      401,
    );
  });

  test('error: wrong password and unknown user answer the same 401', async () => {
    await f.addUser(f.agencyA, 'reg-b', ['registrar']);
    const wrong = await login('reg-b', 'not-the-password');
    const unknown = await login('nobody', 'not-the-password');
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.json().error.message, unknown.json().error.message);
    const badBody = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'x' } });
    assert.equal(badBody.statusCode, 400);
  });

  test('security: five failures lock the account, even the right password is then refused; all audited', async () => {
    const u = await f.addUser(f.agencyA, 'reg-lock', ['registrar']);
    for (let i = 0; i < 4; i++) assert.equal((await login(u.username, 'wrong-password-1')).statusCode, 401);
    const fifth = await login(u.username, 'wrong-password-1');
    assert.equal(fifth.statusCode, 401);
    assert.match(fifth.json().error.message, /锁定/);
    const right = await login(u.username, u.password);
    assert.equal(right.statusCode, 401);
    assert.match(right.json().error.messageEn, /locked/);
    // After the lock period the right password works again.
    f.clock.now = new Date(f.clock.now.getTime() + 16 * 60_000);
    assert.equal((await login(u.username, u.password)).statusCode, 200);
    const denied = await f.store.db
      .selectFrom('audit.entries')
      .select(['reason'])
      .where('actor_id', '=', u.id)
      .where('action', '=', 'auth.login')
      .where('result', '=', 'denied')
      .execute();
    assert.deepEqual(
      denied.map((d) => d.reason),
      ['BAD_CREDENTIALS', 'BAD_CREDENTIALS', 'BAD_CREDENTIALS', 'BAD_CREDENTIALS', 'LOCKED_NOW', 'LOCKED'],
    );
    assert.equal((await verifyAuditChain(f.store.db)).ok, true);
  });

  test('security: wrong and replayed TOTP codes are refused', async () => {
    const u = await f.addUser(f.agencyA, 'reg-totp', ['registrar'], { totp: true });
    const half = (await login(u.username, u.password)).json() as { token: string };
    const wrong = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: bearer(half.token),
      payload: { code: '000000' === f.totp(u) ? '111111' : '000000' },
    });
    assert.equal(wrong.statusCode, 401);
    const code = f.totp(u);
    assert.equal(
      (await f.app.inject({ method: 'POST', url: '/api/v1/auth/totp', headers: bearer(half.token), payload: { code } }))
        .statusCode,
      200,
    );
    const half2 = (await login(u.username, u.password)).json() as { token: string };
    const replay = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: bearer(half2.token),
      payload: { code },
    });
    assert.equal(replay.statusCode, 401);
  });

  test('security: expired, idle and revoked sessions are refused; logout revokes', async () => {
    const u = await f.addUser(f.agencyA, 'reg-sess', ['registrar']);
    const token = await f.login(u);
    const me = () => f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
    assert.equal((await me()).statusCode, 200);
    f.clock.now = new Date(f.clock.now.getTime() + 31 * 60_000); // idle timeout 30 min
    assert.equal((await me()).statusCode, 401);

    const t2 = await f.login(u);
    const out = await f.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(t2) });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(t2) })).statusCode, 401);

    const t3 = await f.login(u);
    for (let i = 0; i < 30; i++) {
      f.clock.now = new Date(f.clock.now.getTime() + 25 * 60_000); // keep it alive …
      assert.equal(
        (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(t3) })).statusCode,
        i < 28 ? 200 : 401,
      );
    } // … but the absolute limit (12 h) ends it
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer('garbage-token-garbage-token') }))
        .statusCode,
      401,
    );
  });
});

describe(`[${TEST_BACKEND}] staff sign-in in production mode`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({ mode: 'production' });
  });
  after(async () => f.close());

  test('security: missing TOTP — a user without it must enrol before doing anything', async () => {
    const u = await f.addUser(f.agencyA, 'prod-reg', ['agency-admin']);
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: u.username, password: u.password },
    });
    const half = r.json() as { token: string; next: string };
    assert.equal(half.next, 'totp-enrol');
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(half.token) })).statusCode,
      401,
    );
    const en = await f.app.inject({ method: 'POST', url: '/api/v1/auth/totp/enrol', headers: bearer(half.token) });
    assert.equal(en.statusCode, 200);
    const { secret, uri } = en.json() as { secret: string; uri: string };
    assert.match(uri, /^otpauth:\/\/totp\//);
    const done = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: bearer(half.token),
      payload: { code: f.totp({ ...u, totpSecret: secret }) },
    });
    assert.equal(done.statusCode, 200, done.body);
    const full = (done.json() as { token: string }).token;
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(full) })).statusCode,
      200,
    );
    // Enrolment cannot be restarted by whoever holds a session: an admin must reset it.
    assert.equal(
      (await f.app.inject({ method: 'POST', url: '/api/v1/auth/totp/enrol', headers: bearer(full) })).statusCode,
      409,
    );
  });
});
