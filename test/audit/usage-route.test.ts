import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordAudit } from '../../src/modules/audit/audit.js';
import { auditRoutes } from '../../src/modules/audit/routes.js';
import { bearer, type IdentityFixture, identityFixture } from '../identity/fixture.js';
import { TEST_BACKEND } from '../support/store.js';

describe(`[${TEST_BACKEND}] GET /api/v1/audit/usage`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({ plugins: (identity) => [auditRoutes(identity.service.deps.db, identity.auth)] });
    for (const [agency, n] of [
      [f.agencyA, 3],
      [f.agencyB, 2],
    ] as const)
      for (let i = 0; i < n; i++)
        await recordAudit(f.store.db, {
          actor: { kind: 'institution', id: 'bank', clientId: 'bank' },
          action: 'share.download',
          certificateId: `C-${i}`,
          issuingAgencyId: agency,
          purpose: '抵押贷款审批',
          caseNo: `DK-${i}`,
          result: 'success',
          at: new Date('2026-11-10T00:00:00Z'),
        });
  });
  after(async () => f.close());
  const q = '?from=2026-11-01T00:00:00.000Z&to=2026-12-01T00:00:00.000Z';

  test("happy: an auditor sees its own agency's usage with a summary", async () => {
    const t = await f.login(await f.addUser(f.agencyA, 'aud-a', ['auditor']));
    const r = await f.app.inject({ method: 'GET', url: `/api/v1/audit/usage${q}`, headers: bearer(t) });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { items: { purpose: string }[]; summary: { count: number }[] };
    assert.equal(body.items.length, 3);
    assert.deepEqual(body.summary, [{ action: 'share.download', clientId: 'bank', result: 'success', count: 3 }]);
  });

  test('error and security: missing period 400; registrar 403; another agency 404; no sign-in 401', async () => {
    const aud = await f.login(await f.addUser(f.agencyA, 'aud-a2', ['auditor']));
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/audit/usage', headers: bearer(aud) })).statusCode,
      400,
    );
    const reg = await f.login(await f.addUser(f.agencyA, 'reg-a9', ['registrar']));
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/api/v1/audit/usage${q}`, headers: bearer(reg) })).statusCode,
      403,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'GET',
          url: `/api/v1/audit/usage${q}&agencyId=${f.agencyB}`,
          headers: bearer(aud),
        })
      ).statusCode,
      404,
    );
    assert.equal((await f.app.inject({ method: 'GET', url: `/api/v1/audit/usage${q}` })).statusCode, 401);
  });
});
