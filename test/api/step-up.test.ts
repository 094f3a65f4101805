import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requireStaff, requireStepUp } from '../../src/http/auth.js';
import type { App } from '../../src/http/server.js';
import type { IdentityModule } from '../../src/modules/identity/index.js';
import { bearer, type IdentityFixture, identityFixture, type TestUser } from '../identity/fixture.js';
import { TEST_BACKEND } from '../support/store.js';

/** A route guarded like POST /api/v1/seal-batches (role first, then the step-up). */
const probe = (identity: IdentityModule) => [
  (app: App) => {
    identity.auth(app);
    app.post('/probe/seal', { preHandler: [requireStaff('sealing-clerk'), requireStepUp('probe.seal')] }, async () => ({
      ok: true,
    }));
  },
];

/**
 * POST /api/v1/auth/step-up (issue 8 "confirm with the second factor"; Henan 三(一)5): a fresh TOTP code — or, in
 * demo mode for an account without TOTP, the password — elevates this session for five minutes.
 */
describe(`[${TEST_BACKEND}] POST /api/v1/auth/step-up`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({ plugins: probe });
  });
  after(async () => f.close());

  const stepUp = (token: string | undefined, payload: object) =>
    f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/step-up',
      payload,
      ...(token ? { headers: bearer(token) } : {}),
    });
  const sealProbe = (token: string) => f.app.inject({ method: 'POST', url: '/probe/seal', headers: bearer(token) });
  const user = (id: string) =>
    f.store.db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const stepUpAudits = (userId: string) =>
    f.store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('actor_id', '=', userId)
      .where('action', '=', 'auth.step-up')
      .orderBy('seq')
      .execute();
  const wrongCode = (u: TestUser) => (f.totp(u) === '000000' ? '111111' : '000000');

  test('happy: the current TOTP code elevates this session until now + 5 min; audited; me says TOTP is enrolled', async () => {
    const u = await f.addUser(f.agencyA, 'su-totp', ['sealing-clerk'], { totp: true });
    const token = await f.login(u);
    const before = await sealProbe(token);
    assert.equal(before.statusCode, 403);
    assert.equal(before.json().error.code, 'STEP_UP_REQUIRED');
    const r = await stepUp(token, { code: f.totp(u) });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { elevatedUntil: new Date(f.clock.now.getTime() + 5 * 60_000).toISOString() });
    assert.equal((await sealProbe(token)).statusCode, 200);
    const [row] = await stepUpAudits(u.id);
    assert.ok(row);
    assert.equal(row.result, 'success');
    assert.equal((row.details as { factor: string }).factor, 'totp');
    const session = await f.store.db
      .selectFrom('sessions')
      .select(['id', 'elevated_until'])
      .where('id', '=', row.object_id ?? '')
      .executeTakeFirstOrThrow();
    assert.equal(new Date(session.elevated_until ?? 0).toISOString(), r.json().elevatedUntil);
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
    assert.equal(me.json().totpEnabled, true);
  });

  test('happy: in demo mode an account without TOTP confirms with its password', async () => {
    const u = await f.addUser(f.agencyA, 'su-demo', ['sealing-clerk']);
    const token = await f.login(u);
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
    assert.equal(me.json().totpEnabled, false);
    const r = await stepUp(token, { code: u.password });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await sealProbe(token)).statusCode, 200);
    const [row] = await stepUpAudits(u.id);
    assert.equal((row?.details as { factor?: string } | undefined)?.factor, 'password');
  });

  test('error: a wrong code is 401 naming the field, counted and audited; no code is 400; success resets the count', async () => {
    const u = await f.addUser(f.agencyA, 'su-wrong', ['sealing-clerk'], { totp: true });
    const token = await f.login(u);
    const r = await stepUp(token, { code: wrongCode(u) });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error.field, 'code');
    assert.equal(r.json().error.code, 'UNAUTHENTICATED');
    assert.equal((await user(u.id)).failed_attempts, 1);
    assert.equal((await stepUpAudits(u.id))[0]?.reason, 'BAD_CODE');
    assert.equal((await sealProbe(token)).statusCode, 403);
    const empty = await stepUp(token, {});
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error.field, 'code');
    assert.equal((await stepUp(token, { code: f.totp(u) })).statusCode, 200);
    assert.equal((await user(u.id)).failed_attempts, 0);
    // Still the same session: the step-up never hands out a new token.
    assert.equal((await sealProbe(token)).statusCode, 200);
  });

  test('security: a code is accepted once — neither the sign-in code nor a step-up code can be replayed', async () => {
    const u = await f.addUser(f.agencyA, 'su-replay', ['sealing-clerk'], { totp: true });
    const half = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: u.username, password: u.password },
    });
    const code = f.totp(u);
    const full = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: bearer(half.json().token),
      payload: { code },
    });
    assert.equal(full.statusCode, 200, full.body);
    const token = full.json().token as string;
    const replaySignIn = await stepUp(token, { code });
    assert.equal(replaySignIn.statusCode, 401);
    f.clock.now = new Date(f.clock.now.getTime() + 30_000);
    const next = f.totp(u);
    assert.equal((await stepUp(token, { code: next })).statusCode, 200);
    const again = await stepUp(token, { code: next });
    assert.equal(again.statusCode, 401);
    assert.match(again.json().error.messageEn, /already used/);
    assert.deepEqual(
      (await stepUpAudits(u.id)).map((a) => [a.result, a.reason]),
      [
        ['denied', 'REPLAYED_CODE'],
        ['success', null],
        ['denied', 'REPLAYED_CODE'],
      ],
    );
  });

  test('security: the elevation ends five minutes later', async () => {
    const u = await f.addUser(f.agencyA, 'su-expire', ['sealing-clerk']);
    const token = await f.login(u);
    assert.equal((await stepUp(token, { code: u.password })).statusCode, 200);
    f.clock.now = new Date(f.clock.now.getTime() + 5 * 60_000 - 1000);
    assert.equal((await sealProbe(token)).statusCode, 200);
    f.clock.now = new Date(f.clock.now.getTime() + 2000);
    const late = await sealProbe(token);
    assert.equal(late.statusCode, 403);
    assert.equal(late.json().error.code, 'STEP_UP_REQUIRED');
    const refusal = await f.store.db
      .selectFrom('audit.entries')
      .select(['reason'])
      .where('actor_id', '=', u.id)
      .where('action', '=', 'probe.seal')
      .execute();
    assert.deepEqual(
      refusal.map((x) => x.reason),
      ['STEP_UP_REQUIRED'],
    );
  });

  test("security: only the session that stepped up is elevated — the user's other session is not", async () => {
    const u = await f.addUser(f.agencyA, 'su-two', ['sealing-clerk']);
    const a = await f.login(u);
    const b = await f.login(u);
    assert.equal((await stepUp(a, { code: u.password })).statusCode, 200);
    assert.equal((await sealProbe(a)).statusCode, 200);
    const other = await sealProbe(b);
    assert.equal(other.statusCode, 403);
    assert.equal(other.json().error.code, 'STEP_UP_REQUIRED');
  });

  test('security: step-up failures count toward the sign-in lockout; the lock ends the session and sign-in', async () => {
    const u = await f.addUser(f.agencyA, 'su-lock', ['sealing-clerk']);
    const token = await f.login(u);
    const login = (password: string) =>
      f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u.username, password } });
    for (let i = 0; i < 3; i++) assert.equal((await login('wrong-password-1')).statusCode, 401);
    assert.equal((await stepUp(token, { code: 'wrong-password-2' })).statusCode, 401);
    const fifth = await stepUp(token, { code: 'wrong-password-3' });
    assert.equal(fifth.statusCode, 401);
    assert.match(fifth.json().error.message, /锁定/);
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) })).statusCode,
      401,
    );
    assert.equal((await login(u.password)).statusCode, 401, 'locked for sign-in as well');
    assert.deepEqual(
      (await stepUpAudits(u.id)).map((x) => x.reason),
      ['BAD_CREDENTIALS', 'LOCKED_NOW'],
    );
    // A fresh session after the lock period; a locked account cannot step up either.
    f.clock.now = new Date(f.clock.now.getTime() + 16 * 60_000);
    const t2 = await f.login(u);
    await f.store.db
      .updateTable('staff_users')
      .set({ locked_until: new Date(f.clock.now.getTime() + 60_000) })
      .where('id', '=', u.id)
      .execute();
    const locked = await stepUp(t2, { code: u.password });
    assert.equal(locked.statusCode, 401);
    assert.match(locked.json().error.messageEn, /locked/);
    assert.equal((await stepUpAudits(u.id)).at(-1)?.reason, 'LOCKED');
  });

  test('security: a TOTP account cannot use its password; anonymous 401; a half-signed-in session 401; holders 403', async () => {
    const u = await f.addUser(f.agencyA, 'su-pw', ['sealing-clerk'], { totp: true });
    const token = await f.login(u);
    assert.equal((await stepUp(token, { code: u.password })).statusCode, 401);
    assert.equal((await sealProbe(token)).statusCode, 403);
    assert.equal((await stepUp(undefined, { code: '123456' })).statusCode, 401);
    const half = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: u.username, password: u.password },
    });
    assert.equal((await stepUp(half.json().token, { code: f.totp(u) })).statusCode, 401);
    const s = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/holder/sms',
      payload: { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' },
    });
    const l = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/holder/login',
      payload: { challengeId: s.json().challengeId, code: s.json().demoCode },
    });
    const holder = await stepUp(l.json().token, { code: '123456' });
    assert.equal(holder.statusCode, 403);
  });
});

describe(`[${TEST_BACKEND}] step-up in production mode (TOTP only)`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({ mode: 'production', plugins: probe });
  });
  after(async () => f.close());

  test('security: the password is never a second factor in production; the TOTP code is', async () => {
    const u = await f.addUser(f.agencyA, 'prod-sealer', ['sealing-clerk'], { totp: true });
    const token = await f.login(u);
    const pw = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/step-up',
      headers: bearer(token),
      payload: { code: u.password },
    });
    assert.equal(pw.statusCode, 401);
    const ok = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/step-up',
      headers: bearer(token),
      payload: { code: f.totp(u) },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await f.app.inject({ method: 'POST', url: '/probe/seal', headers: bearer(token) })).statusCode, 200);
  });

  test('security: an account without TOTP (e.g. after an admin reset) is refused, not let through on its password', async () => {
    const u = await f.addUser(f.agencyA, 'prod-reset', ['sealing-clerk'], { totp: true });
    const token = await f.login(u);
    // Reset behind the session's back (an admin reset also ends sessions; this checks the step-up's own rule).
    await f.store.db
      .updateTable('staff_users')
      .set({ totp_enabled: false, totp_secret_enc: null })
      .where('id', '=', u.id)
      .execute();
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/step-up',
      headers: bearer(token),
      payload: { code: u.password },
    });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().error.field, 'code');
  });
});
