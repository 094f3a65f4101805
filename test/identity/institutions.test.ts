import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { agreementCovers } from '../../src/domain/access.js';
import { findVisibleOr404, requireHolder, requireInstitution, requireStaff } from '../../src/http/auth.js';
import { verifyAuditChain } from '../../src/modules/audit/audit.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

describe(`[${TEST_BACKEND}] institutions: agreements, client credentials, guards`, () => {
  let f: IdentityFixture;
  let province: string;
  let adminA: string;
  before(async () => {
    f = await identityFixture({
      plugins: (identity) => [
        (app) => {
          identity.auth(app);
          // Probe routes standing in for the share/certificate routes that come later.
          app.get('/probe/download', { preHandler: requireInstitution('download') }, async (req) => ({
            kind: req.principal?.kind,
          }));
          app.get('/probe/holder', { preHandler: requireHolder() }, async () => ({ ok: true }));
          app.get<{ Params: { agencyId: string } }>(
            '/probe/agency/:agencyId',
            { preHandler: requireStaff('registrar', (req) => (req.params as { agencyId: string }).agencyId) },
            async () => ({ ok: true }),
          );
          app.get<{ Params: { n: string } }>('/probe/object/:n', async (req) =>
            findVisibleOr404(
              async () => (req.params.n === 'missing' ? undefined : { owner: req.params.n }),
              (o) => o.owner === 'mine',
            ),
          );
        },
      ],
    });
    province = await f.login(await f.addUser(f.agencyA, 'prov', ['province-admin']));
    adminA = await f.login(await f.addUser(f.agencyA, 'adm', ['agency-admin']));
  });
  after(async () => f.close());

  async function agreement(payload: Partial<Record<string, unknown>> = {}): Promise<string> {
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/admin/agreements',
      headers: bearer(province),
      payload: {
        agreementNo: `HCGX-2026-${Math.random().toString(36).slice(2, 8)}`,
        institutionName: '中国工商银行潢川支行',
        institutionUscc: '91411526MA44ABCD1Y',
        certificateTypes: ['11100000MB0143028R01'],
        interfaces: ['search', 'download'],
        regionCodes: ['4115'],
        validFrom: '2026-01-01T00:00:00.000Z',
        validUntil: '2027-12-31T16:00:00.000Z',
        ...payload,
      },
    });
    assert.equal(r.statusCode, 201, r.body);
    return (r.json() as { id: string }).id;
  }

  async function client(agreementId: string): Promise<{ clientId: string; secret: string }> {
    const r = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/agreements/${agreementId}/clients`,
      headers: bearer(province),
      payload: { name: '信贷系统' },
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json();
  }

  test('happy: a client under an agreement authenticates and is scoped by it', async () => {
    const c = await client(await agreement());
    const r = await f.app.inject({ method: 'GET', url: '/probe/download', headers: basic(c.clientId, c.secret) });
    assert.equal(r.statusCode, 200, r.body);
    const me = await f.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: basic(c.clientId, c.secret) });
    assert.equal(me.json().institutionName, '中国工商银行潢川支行');
    assert.deepEqual(me.json().interfaces, ['search', 'download']);
    const stored = await f.store.db
      .selectFrom('api_clients')
      .select('secret_hash')
      .where('client_id', '=', c.clientId)
      .executeTakeFirstOrThrow();
    assert.notEqual(stored.secret_hash, c.secret);
  });

  test('error: only province admins register agreements; unknown agreement 404', async () => {
    const body = {
      agreementNo: 'HCGX-2026-X',
      institutionName: '某银行',
      institutionUscc: '91411526MA44ABCD1Y',
      certificateTypes: ['T1'],
      interfaces: ['search'],
      regionCodes: ['4115'],
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
    };
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/admin/agreements',
      headers: bearer(adminA),
      payload: body,
    });
    assert.equal(r.statusCode, 403);
    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/v1/admin/agreements',
      headers: bearer(province),
      payload: { ...body, interfaces: ['read-all'] },
    });
    assert.equal(bad.statusCode, 400);
    const r2 = await f.app.inject({
      method: 'POST',
      url: '/api/v1/admin/agreements/00000000-0000-4000-8000-000000000000/clients',
      headers: bearer(province),
      payload: { name: 'x' },
    });
    assert.equal(r2.statusCode, 404);
  });

  test('security: wrong secret, no agreement, expired agreement, interface not granted — refused and audited', async () => {
    const good = await client(await agreement());
    const wrong = await f.app.inject({
      method: 'GET',
      url: '/probe/download',
      headers: basic(good.clientId, 'x'.repeat(43)),
    });
    assert.equal(wrong.statusCode, 401);

    const orphan = await f.identity.service.createApiClient(
      { agreementId: null, name: '无协议' },
      { kind: 'system', id: 'test' },
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/probe/download', headers: basic(orphan.clientId, orphan.secret) }))
        .statusCode,
      401,
    );

    const expired = await client(
      await agreement({ validFrom: '2020-01-01T00:00:00.000Z', validUntil: '2021-01-01T00:00:00.000Z' }),
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/probe/download', headers: basic(expired.clientId, expired.secret) }))
        .statusCode,
      401,
    );

    const verifyOnly = await client(await agreement({ interfaces: ['verify'] }));
    const notGranted = await f.app.inject({
      method: 'GET',
      url: '/probe/download',
      headers: basic(verifyOnly.clientId, verifyOnly.secret),
    });
    assert.equal(notGranted.statusCode, 403);
    assert.match(notGranted.json().error.message, /下载/);

    const denied = await f.store.db
      .selectFrom('audit.entries')
      .select(['action', 'reason', 'client_id'])
      .where('result', '=', 'denied')
      .where('action', 'in', ['auth.client', 'share.download'])
      .orderBy('seq')
      .execute();
    assert.deepEqual(denied, [
      { action: 'auth.client', reason: 'BAD_SECRET', client_id: good.clientId },
      { action: 'auth.client', reason: 'NO_AGREEMENT', client_id: orphan.clientId },
      { action: 'auth.client', reason: 'AGREEMENT_EXPIRED', client_id: expired.clientId },
      { action: 'share.download', reason: 'AGREEMENT_DOES_NOT_COVER', client_id: verifyOnly.clientId },
    ]);
    assert.equal((await verifyAuditChain(f.store.db)).ok, true);
  });

  test('security: staff and holders cannot use institution routes and vice versa; other agency → 404', async () => {
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/probe/download', headers: bearer(adminA) })).statusCode,
      401,
    );
    const c = await client(await agreement());
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/probe/holder', headers: basic(c.clientId, c.secret) })).statusCode,
      401,
    );
    const reg = await f.login(await f.addUser(f.agencyA, 'reg-probe', ['registrar']));
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/probe/agency/${f.agencyA}`, headers: bearer(reg) })).statusCode,
      200,
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/probe/agency/${f.agencyB}`, headers: bearer(reg) })).statusCode,
      404,
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/probe/agency/${f.agencyA}`, headers: bearer(adminA) })).statusCode,
      403,
    );
    const other = await f.app.inject({ method: 'GET', url: '/probe/object/theirs' });
    const missing = await f.app.inject({ method: 'GET', url: '/probe/object/missing' });
    assert.equal(other.statusCode, 404);
    assert.deepEqual({ ...other.json().error, requestId: 0 }, { ...missing.json().error, requestId: 0 });
  });

  test('agreementCovers checks interface, type, region prefix and validity', () => {
    const p = {
      kind: 'institution' as const,
      clientId: 'c',
      agreementId: 'a',
      agreementNo: 'n',
      institutionName: 'i',
      interfaces: ['search' as const],
      certificateTypes: ['T1'],
      regionCodes: ['4115'],
      validUntil: new Date('2027-01-01T00:00:00Z'),
    };
    const now = new Date('2026-06-01T00:00:00Z');
    assert.equal(agreementCovers(p, 'search', { certificateType: 'T1', regionCode: '411526' }, now), true);
    assert.equal(agreementCovers(p, 'download', {}, now), false);
    assert.equal(agreementCovers(p, 'search', { certificateType: 'T2' }, now), false);
    assert.equal(agreementCovers(p, 'search', { regionCode: '410102' }, now), false);
    assert.equal(agreementCovers(p, 'search', {}, new Date('2027-01-02T00:00:00Z')), false);
  });

  test('revoking a client or its agreement stops it at once; both audited', async () => {
    const agreementId = await agreement();
    const c1 = await client(agreementId);
    const c2 = await client(agreementId);
    const probe = (c: { clientId: string; secret: string }) =>
      f.app.inject({ method: 'GET', url: '/probe/download', headers: basic(c.clientId, c.secret) });
    assert.equal((await probe(c1)).statusCode, 200);
    const rc = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/clients/${c1.clientId}/revoke`,
      headers: bearer(province),
    });
    assert.equal(rc.statusCode, 204);
    assert.equal((await probe(c1)).statusCode, 401);
    assert.equal((await probe(c2)).statusCode, 200);
    const ra = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/agreements/${agreementId}/revoke`,
      headers: bearer(province),
    });
    assert.equal(ra.statusCode, 204);
    assert.equal((await probe(c2)).statusCode, 401);
    const again = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/agreements/${agreementId}/revoke`,
      headers: bearer(province),
    });
    assert.equal(again.statusCode, 404);
    const byAdmin = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/clients/${c2.clientId}/revoke`,
      headers: bearer(adminA),
    });
    assert.equal(byAdmin.statusCode, 403);
    const list = await f.app.inject({ method: 'GET', url: '/api/v1/admin/agreements', headers: bearer(province) });
    const mine = (
      list.json() as { items: { id: string; revokedAt: string | null; clients: { revokedAt: string | null }[] }[] }
    ).items.find((a) => a.id === agreementId);
    assert.ok(mine?.revokedAt);
    assert.equal(mine?.clients.length, 2);
    const trail = await f.store.db
      .selectFrom('audit.entries')
      .select('action')
      .where('action', 'in', ['agreement.revoke', 'api-client.revoke'])
      .execute();
    assert.equal(trail.length, 2);
  });
});
