import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditByIssuer } from '../../src/modules/audit/audit.js';
import { objectionRoutes } from '../../src/modules/objections/routes.js';
import { type CertificateDirectory, ObjectionService } from '../../src/modules/objections/service.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

const zhang = { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' };
const li = { name: '李四', idNumber: '411526198502031232', phone: '13900000000' };

describe(`[${TEST_BACKEND}] objections (异议, Nanyang Art. 16)`, () => {
  let f: IdentityFixture;
  const certs = new Map<string, { issuingAgencyId: string; holderKeys: string[] }>();
  let regA: string;
  let regB: string;
  let auditorA: string;
  before(async () => {
    f = await identityFixture({
      plugins: (identity) => {
        const directory: CertificateDirectory = { describe: async (id) => certs.get(id) };
        const service = new ObjectionService({
          db: identity.service.deps.db,
          fieldCrypto: identity.service.deps.fieldCrypto,
          certificates: directory,
          now: identity.service.deps.now,
        });
        return [objectionRoutes(service, identity.auth)];
      },
    });
    const fc = f.identity.service.deps.fieldCrypto;
    certs.set('CERT-A-1', { issuingAgencyId: f.agencyA, holderKeys: [fc.index(zhang.idNumber)] });
    regA = await f.login(await f.addUser(f.agencyA, 'obj-reg-a', ['registrar']));
    regB = await f.login(await f.addUser(f.agencyB, 'obj-reg-b', ['registrar']));
    auditorA = await f.login(await f.addUser(f.agencyA, 'obj-aud-a', ['auditor']));
  });
  after(async () => f.close());

  async function holderToken(p: typeof zhang): Promise<string> {
    const s = await f.identity.service.startHolderSms(p, {});
    return (await f.identity.service.verifyHolderSms({ challengeId: s.challengeId, code: s.demoCode ?? '' }, {})).token;
  }

  test('happy: a holder files, the issuing agency processes and resolves, the holder sees the outcome', async () => {
    const h = await holderToken(zhang);
    const filed = await f.app.inject({
      method: 'POST',
      url: '/api/v1/objections',
      headers: bearer(h),
      payload: { certificateId: 'CERT-A-1', reason: '建筑面积与登记簿不一致', contact: '13812345678' },
    });
    assert.equal(filed.statusCode, 201, filed.body);
    const o = filed.json() as { id: string; status: string; issuingAgencyId: string };
    assert.equal(o.status, 'submitted');
    assert.equal(o.issuingAgencyId, f.agencyA);
    const row = await f.store.db
      .selectFrom('objections')
      .select('contact_enc')
      .where('id', '=', o.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.contact_enc && !row.contact_enc.includes('13812345678'));

    const list = await f.app.inject({
      method: 'GET',
      url: '/api/v1/objections?status=submitted',
      headers: bearer(auditorA),
    });
    assert.deepEqual(
      (list.json() as { items: { id: string }[] }).items.map((i) => i.id),
      [o.id],
    );
    const proc = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/objections/${o.id}`,
      headers: bearer(regA),
      payload: { status: 'processing' },
    });
    assert.equal(proc.statusCode, 200, proc.body);
    const done = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/objections/${o.id}`,
      headers: bearer(regA),
      payload: { status: 'resolved', outcome: '已更正并重新签发' },
    });
    assert.equal(done.json().status, 'resolved');
    const mine = await f.app.inject({ method: 'GET', url: `/api/v1/objections/${o.id}`, headers: bearer(h) });
    assert.equal(mine.json().outcome, '已更正并重新签发');
    assert.equal(mine.json().contact, '13812345678');
    const trail = await auditByIssuer(f.store.db, f.agencyA);
    assert.deepEqual(
      trail.items.map((e) => e.action).filter((a) => a.startsWith('objection.')),
      ['objection.resolved', 'objection.processing', 'objection.file'],
    );
  });

  test('error: bad transitions 409, closing without outcome 400, unknown certificate 404', async () => {
    const h = await holderToken(zhang);
    const o = (
      await f.app.inject({
        method: 'POST',
        url: '/api/v1/objections',
        headers: bearer(h),
        payload: { certificateId: 'CERT-A-1', reason: '权利人姓名有误' },
      })
    ).json() as { id: string };
    assert.equal(
      (
        await f.app.inject({
          method: 'PATCH',
          url: `/api/v1/objections/${o.id}`,
          headers: bearer(regA),
          payload: { status: 'rejected' },
        })
      ).statusCode,
      400,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'PATCH',
          url: `/api/v1/objections/${o.id}`,
          headers: bearer(regA),
          payload: { status: 'rejected', outcome: '经核实无误' },
        })
      ).statusCode,
      200,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'PATCH',
          url: `/api/v1/objections/${o.id}`,
          headers: bearer(regA),
          payload: { status: 'processing' },
        })
      ).statusCode,
      409,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'POST',
          url: '/api/v1/objections',
          headers: bearer(h),
          payload: { certificateId: 'NOPE', reason: '不存在的证照' },
        })
      ).statusCode,
      404,
    );
  });

  test("security: another holder's certificate and another agency's objection answer 404; no sign-in 401", async () => {
    const other = await holderToken(li);
    const r = await f.app.inject({
      method: 'POST',
      url: '/api/v1/objections',
      headers: bearer(other),
      payload: { certificateId: 'CERT-A-1', reason: '不是我的证照' },
    });
    assert.equal(r.statusCode, 404);
    const h = await holderToken(zhang);
    const o = (
      await f.app.inject({
        method: 'POST',
        url: '/api/v1/objections',
        headers: bearer(h),
        payload: { certificateId: 'CERT-A-1', reason: '坐落地址有误' },
      })
    ).json() as { id: string };
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/api/v1/objections/${o.id}`, headers: bearer(regB) })).statusCode,
      404,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'PATCH',
          url: `/api/v1/objections/${o.id}`,
          headers: bearer(regB),
          payload: { status: 'processing' },
        })
      ).statusCode,
      404,
    );
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/api/v1/objections/${o.id}`, headers: bearer(other) })).statusCode,
      404,
    );
    assert.equal(
      (
        await f.app.inject({
          method: 'PATCH',
          url: `/api/v1/objections/${o.id}`,
          headers: bearer(auditorA),
          payload: { status: 'processing' },
        })
      ).statusCode,
      403,
    );
    assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/objections' })).statusCode, 401);
    const theirs = await f.app.inject({ method: 'GET', url: '/api/v1/objections', headers: bearer(other) });
    assert.deepEqual(theirs.json().items, []);
  });
});
