import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

describe(`[${TEST_BACKEND}] /api/v1/admin/users`, () => {
  let f: IdentityFixture;
  let adminA: string;
  let adminB: string;
  let registrarA: string;
  let province: string;
  before(async () => {
    f = await identityFixture();
    adminA = await f.login(await f.addUser(f.agencyA, 'admin-a', ['agency-admin']));
    adminB = await f.login(await f.addUser(f.agencyB, 'admin-b', ['agency-admin']));
    registrarA = await f.login(await f.addUser(f.agencyA, 'registrar-a', ['registrar']));
    province = await f.login(await f.addUser(f.agencyB, 'province-1', ['province-admin']));
  });
  after(async () => f.close());

  const create = (token: string, payload: object) =>
    f.app.inject({ method: 'POST', url: '/api/v1/admin/users', headers: bearer(token), payload });

  test('happy: an agency admin creates, lists, updates and resets its own users', async () => {
    const c = await create(adminA, { username: 'hc-sealer', displayName: '王缮证', roles: ['sealing-clerk'] });
    assert.equal(c.statusCode, 201, c.body);
    const { user, initialPassword } = c.json() as { user: { id: string; agencyId: string }; initialPassword: string };
    assert.equal(user.agencyId, f.agencyA);
    assert.ok(initialPassword.length >= 12);
    // The new user can sign in with the one-time password.
    const login = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'hc-sealer', password: initialPassword },
    });
    assert.equal(login.statusCode, 200);
    const list = await f.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(adminA) });
    assert.deepEqual(
      (list.json() as { items: { username: string }[] }).items.map((u) => u.username),
      ['admin-a', 'hc-sealer', 'registrar-a'],
    );
    const p = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${user.id}`,
      headers: bearer(adminA),
      payload: { roles: ['sealing-clerk', 'registrar'] },
    });
    assert.equal(p.statusCode, 200);
    assert.deepEqual(p.json().roles, ['sealing-clerk', 'registrar']);
    const reset = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${user.id}/password-reset`,
      headers: bearer(adminA),
    });
    assert.equal(reset.statusCode, 200);
    const oldPw = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'hc-sealer', password: initialPassword },
    });
    assert.equal(oldPw.statusCode, 401);
  });

  test('error: duplicate user name 409, bad body 400, unknown id 404', async () => {
    assert.equal(
      (await create(adminA, { username: 'admin-a', displayName: '重复', roles: ['auditor'] })).statusCode,
      409,
    );
    assert.equal((await create(adminA, { username: 'Bad Name', displayName: 'x', roles: [] })).statusCode, 400);
    const r = await f.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users/00000000-0000-4000-8000-000000000000',
      headers: bearer(adminA),
    });
    assert.equal(r.statusCode, 404);
  });

  test("security: another agency's user is indistinguishable from a missing one", async () => {
    const b = await create(adminB, { username: 'gs-auditor', displayName: '赵审计', roles: ['auditor'] });
    const id = (b.json() as { user: { id: string } }).user.id;
    const missing = await f.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users/00000000-0000-4000-8000-000000000000',
      headers: bearer(adminA),
    });
    for (const req of [
      { method: 'GET' as const, url: `/api/v1/admin/users/${id}` },
      { method: 'PATCH' as const, url: `/api/v1/admin/users/${id}`, payload: { disabled: true } },
      { method: 'POST' as const, url: `/api/v1/admin/users/${id}/password-reset` },
      { method: 'GET' as const, url: `/api/v1/admin/users?agencyId=${f.agencyB}` },
    ]) {
      const r = await f.app.inject({ ...req, headers: bearer(adminA) });
      assert.equal(r.statusCode, 404, `${req.method} ${req.url}`);
      assert.equal(r.json().error.message, missing.json().error.message);
    }
    assert.equal(
      (await create(adminA, { username: 'x-in-b', displayName: 'x', roles: ['registrar'], agencyId: f.agencyB }))
        .statusCode,
      404,
    );
    // A province admin may act for any agency.
    const pr = await f.app.inject({ method: 'GET', url: `/api/v1/admin/users/${id}`, headers: bearer(province) });
    assert.equal(pr.statusCode, 200);
  });

  test('security: roles — a registrar may not manage users; an agency admin may not grant province-admin or change itself', async () => {
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(registrarA) })).statusCode,
      403,
    );
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/admin/users' })).statusCode, 401);
    assert.equal(
      (await create(adminA, { username: 'escalate', displayName: 'x', roles: ['province-admin'] })).statusCode,
      403,
    );
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(adminA) });
    const self = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${me.json().userId}`,
      headers: bearer(adminA),
      payload: { disabled: true },
    });
    assert.equal(self.statusCode, 403);
  });

  test('security: disabling a user ends its sessions at once', async () => {
    const c = await create(adminA, { username: 'to-disable', displayName: '临时', roles: ['registrar'] });
    const { user, initialPassword } = c.json() as { user: { id: string }; initialPassword: string };
    const token = await f.login({ id: user.id, username: 'to-disable', password: initialPassword });
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) })).statusCode,
      200,
    );
    await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${user.id}`,
      headers: bearer(adminA),
      payload: { disabled: true },
    });
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) })).statusCode,
      401,
    );
    const again = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'to-disable', password: initialPassword },
    });
    assert.equal(again.statusCode, 401);
  });
});
