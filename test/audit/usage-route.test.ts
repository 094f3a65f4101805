import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordAudit } from '../../src/modules/audit/audit.js';
import { auditRoutes } from '../../src/modules/audit/routes.js';
import { bearer, type IdentityFixture, identityFixture } from '../identity/fixture.js';
import { TEST_BACKEND } from '../support/store.js';

const zhang = { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' };
const li = { name: '李四', idNumber: '411526198502031232', phone: '13900000000' };

describe(`[${TEST_BACKEND}] GET /api/v1/audit/usage and /api/v1/audit/certificates/:id`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({
      plugins: (identity) => [
        auditRoutes(identity.service.deps.db, identity.auth, {
          describe: async (id) =>
            id.startsWith('C-')
              ? { issuingAgencyId: f.agencyA, holderKeys: [identity.service.deps.fieldCrypto.index(zhang.idNumber)] }
              : undefined,
        }),
      ],
    });
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

  async function holderToken(p: typeof zhang): Promise<string> {
    const s = await f.identity.service.startHolderSms(p, {});
    return (await f.identity.service.verifyHolderSms({ challengeId: s.challengeId, code: s.demoCode ?? '' }, {})).token;
  }

  test('happy: the holder sees who accessed their certificate, and so does the issuer', async () => {
    const h = await holderToken(zhang);
    const r = await f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/C-1', headers: bearer(h) });
    assert.equal(r.statusCode, 200, r.body);
    const items = (r.json() as { items: { clientId: string; purpose: string; certificateId: string }[] }).items;
    assert.equal(items.length, 2); // agency A and agency B rows both name C-1 in this fixture
    assert.ok(items.every((i) => i.certificateId === 'C-1' && i.purpose === '抵押贷款审批' && i.clientId === 'bank'));
    const aud = await f.login(await f.addUser(f.agencyA, 'aud-cert', ['auditor']));
    assert.equal(
      (await f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/C-1', headers: bearer(aud) })).statusCode,
      200,
    );
  });

  test('security: another holder, another agency and an unknown certificate all answer the same 404', async () => {
    const other = await holderToken(li);
    const audB = await f.login(await f.addUser(f.agencyB, 'aud-b-cert', ['auditor']));
    const h = await holderToken(zhang);
    const answers = await Promise.all([
      f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/C-1', headers: bearer(other) }),
      f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/C-1', headers: bearer(audB) }),
      f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/NOPE', headers: bearer(h) }),
    ]);
    for (const a of answers) {
      assert.equal(a.statusCode, 404);
      assert.equal(a.json().error.code, 'NOT_FOUND');
    }
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/audit/certificates/C-1' })).statusCode, 401);
  });
});
