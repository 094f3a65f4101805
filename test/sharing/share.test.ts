import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyOfd } from '../../src/documents/verify.js';
import type { FaceInput } from '../../src/domain/face-data.js';
import type { AuditResult } from '../../src/modules/audit/tables.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

const OWNER = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };
const STRANGER = '411526198503120026';
const UNIT = '411526001002GB00777F00010203';

describe(`sharing interfaces and public verification [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let bank: string;
  let searchOnly: string;
  let expired: string;
  let identifier = '';
  let token = '';
  let certificateId = '';
  const basic = (c: { clientId: string; secret: string }) =>
    `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`;

  let limited: string;
  before(async () => {
    fx = await appFixture({ env: { BDCERT_SHARE_RATE_LIMIT: '15' } });
    const id = fx.services.identity.service;
    const actor = { kind: 'system' as const, id: 'test' };
    const mk = async (
      no: string,
      interfaces: ('search' | 'download' | 'info' | 'verify')[],
      until: Date,
      regions = ['41'],
    ) => {
      const agreementId = await id.createAgreement(
        {
          agreementNo: no,
          institutionName: '中国建设银行股份有限公司潢川支行',
          institutionUscc: '91411526MA00TEST1X',
          certificateTypes: [],
          interfaces,
          regionCodes: regions,
          validFrom: new Date('2026-01-01'),
          validUntil: until,
        },
        actor,
      );
      return basic(await id.createApiClient({ agreementId, name: `client ${no}` }, actor));
    };
    bank = await mk('GX-2026-001', ['search', 'download', 'info', 'verify'], new Date('2027-12-31'));
    searchOnly = await mk('GX-2026-002', ['search'], new Date('2027-12-31'));
    expired = await mk('GX-2025-009', ['search', 'download', 'info', 'verify'], new Date('2026-06-30'));
    limited = await mk('GX-2026-003', ['search'], new Date('2027-12-31'));
    const registrar = (await fx.staff('411526', 'sh-registrar', ['registrar'])).token;
    const sealer = (await fx.staff('411526', 'sh-sealer', ['sealing-clerk'])).token;
    const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
    const face: FaceInput = { ...rest, holders: [OWNER], coOwnership: '单独所有', unitNo: UNIT };
    const r = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: auth(registrar),
      payload: {
        businessNo: 'SHARE00001',
        registrationType: '100',
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo: UNIT,
        location: P.location,
        face,
      },
    });
    assert.equal(r.statusCode, 201, r.body);
    identifier = r.json().outcome.identifier;
    certificateId = r.json().outcome.certificateId;
    const b = await fx.app.inject({ method: 'POST', url: '/api/v1/seal-batches', headers: auth(sealer), payload: {} });
    for (let i = 0; i < 200; i++) {
      const p = await fx.app.inject({ url: `/api/v1/seal-batches/${b.json().id}`, headers: auth(sealer) });
      if (p.json().status !== 'running') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    token = (
      await fx.store.db
        .selectFrom('certificates')
        .select('verify_token')
        .where('id', '=', certificateId)
        .executeTakeFirstOrThrow()
    ).verify_token;
  });
  after(async () => fx.close());

  const use = {
    purpose: '个人住房抵押贷款审批',
    caseNo: 'JH-DK-2026-001234',
    holderCode: OWNER.idNumber,
    holderCodeType: '111',
  };
  const call = (path: string, authz: string, body: object) =>
    fx.app.inject({ method: 'POST', url: `/api/v1/share/${path}`, headers: { authorization: authz }, payload: body });
  const audits = (action: string, result: AuditResult) =>
    fx.store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('action', '=', action)
      .where('result', '=', result)
      .execute();

  test('检索 finds the named holder’s certificates; another person’s code finds nothing', async () => {
    const r = await call('search', bank, use);
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      r.json().items.map((x: { identifier: string }) => x.identifier),
      [identifier],
    );
    assert.equal(r.json().items[0].holders, '张*');
    const other = await call('search', bank, { ...use, holderCode: STRANGER });
    assert.deepEqual(other.json().items, []);
    const row = (await audits('share.search', 'success')).at(-1)!;
    assert.equal(row.purpose, '个人住房抵押贷款审批');
    assert.equal(row.case_no, 'JH-DK-2026-001234');
  });

  test('calls without 用证事由 or case number are refused, naming the field', async () => {
    const { purpose: _p, ...noPurpose } = use;
    const a = await call('search', bank, noPurpose);
    assert.equal(a.statusCode, 400);
    assert.equal(a.json().error.field, 'purpose');
    const b = await call('info', bank, { ...use, caseNo: '', identifier });
    assert.equal(b.statusCode, 400);
    assert.equal(b.json().error.field, 'caseNo');
  });

  test('信息获取 for the named holder; asking for another person’s certificate is a 404, and audited', async () => {
    const ok = await call('info', bank, { ...use, identifier, fields: ['certificateNo', 'location', 'holders'] });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(Object.keys(ok.json().face).sort(), ['certificateNo', 'holders', 'kind', 'location']);
    const no = await call('info', bank, { ...use, holderCode: STRANGER, identifier });
    assert.equal(no.statusCode, 404);
    const denied = await audits('share.info', 'denied');
    assert.ok(denied.length >= 1);
    assert.equal(denied.at(-1)!.purpose, use.purpose);
  });

  test('an agreement without the interface, an expired one, and no credentials are refused and audited', async () => {
    const a = await call('download', searchOnly, { ...use, identifier });
    assert.equal(a.statusCode, 403);
    const e = await call('search', expired, use);
    assert.ok(e.statusCode === 401 || e.statusCode === 403, `expired agreement refused (${e.statusCode})`);
    const n = await fx.app.inject({ method: 'POST', url: '/api/v1/share/search', payload: use });
    assert.equal(n.statusCode, 401);
    assert.ok((await audits('share.download', 'denied')).length >= 1);
  });

  test('下载 returns an annotated copy (加注件), sealed anew, naming user, purpose and expiry', async () => {
    const r = await call('download', bank, { ...use, identifier, format: 'ofd' });
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(r.headers['x-annotation-expires']);
    const v = await verifyOfd(new Uint8Array(r.rawPayload), { trustedRoots: fx.services.sealCrypto.trustedRoots() });
    assert.equal(v.valid, true, JSON.stringify(v.checks.filter((c) => c.status === 'failed')));
    assert.equal(v.meta.JZJZZSY, use.purpose);
    assert.equal(v.meta.JZJZZZ, '中国建设银行股份有限公司潢川支行');
    assert.equal(v.meta.ZZBS, identifier);
  });

  test('each client is rate-limited on its own (the 16th call in a minute gets 429 in the envelope)', async () => {
    for (let i = 0; i < 15; i++) assert.equal((await call('search', limited, use)).statusCode, 200);
    const over = await call('search', limited, use);
    assert.equal(over.statusCode, 429);
    assert.equal(over.json().error.code, 'RATE_LIMITED');
    assert.equal((await call('search', bank, use)).statusCode, 200, 'another client is not affected');
  });

  test('信息验证 compares items one by one', async () => {
    const r = await call('verify', bank, {
      ...use,
      identifier,
      face: { certificateNo: '豫（2026）潢川县不动产权第0000001号', area: 98.56, location: '别的地方' },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().matches, { certificateNo: true, area: true, location: false });
    assert.equal(r.json().allMatch, false);
  });

  test('public verification: 有效 with masked facts; after cancellation 已注销; an unknown token is 404', async () => {
    const r = await fx.app.inject({ url: `/api/v1/verify/${token}` });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().statusName, '有效');
    assert.equal(r.json().holders, '张*');
    assert.doesNotMatch(r.body, /11010519491231002X/);
    const admin = (await fx.staff('411526', 'sh-admin', ['agency-admin'])).token;
    const c = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${certificateId}/status`,
      headers: auth(admin),
      payload: { action: 'cancel', reason: '权利人申请注销登记' },
    });
    assert.equal(c.statusCode, 200, c.body);
    const after = await fx.app.inject({ url: `/api/v1/verify/${token}` });
    assert.equal(after.json().statusName, '已注销');
    assert.equal((await fx.app.inject({ url: '/api/v1/verify/AAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 404);
    // public reads are audited (buffered): wait for the flush
    for (let i = 0; i < 40 && (await audits('verify.public', 'success')).length < 2; i++) {
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal((await audits('verify.public', 'success')).length, 2);
  });

  test('public file verification lists the checks; a cancelled certificate’s file fails the record check', async () => {
    const c = await fx.store.db
      .selectFrom('certificates')
      .select('ofd_blob')
      .where('id', '=', certificateId)
      .executeTakeFirstOrThrow();
    const bytes = (await fx.services.ctx.blobs.get(c.ofd_blob!))!;
    const r = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/verify/file',
      headers: { 'content-type': 'application/ofd' },
      payload: Buffer.from(bytes),
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { valid: boolean; checks: { id: string; status: string; reason?: string }[] };
    assert.equal(body.valid, false);
    assert.equal(body.checks.find((x) => x.id === 'references')?.status, 'passed');
    assert.match(body.checks.find((x) => x.id === 'record')?.reason ?? '', /已注销/);
  });
});
