import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/modules/audit/audit.js';
import { entryOf, HC, OWNER, type Recorded, record, sealAll } from '../api/world.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

/**
 * Issue 7 §5 / "Must show": refusals and reads are audited too — a sharing call without 用证事由 or case number is
 * refused by its schema and the attempt recorded; staff searches and detail reads are data accesses.
 */
describe(`[${TEST_BACKEND}] audit of refusals and reads`, () => {
  let fx: AppFixture;
  let registrar = '';
  let bank = '';
  let bankClientId = '';
  let cert: Recorded;

  before(async () => {
    fx = await appFixture();
    const id = fx.services.identity.service;
    const actor = { kind: 'system' as const, id: 'test' };
    const agreementId = await id.createAgreement(
      {
        agreementNo: 'GX-2026-101',
        institutionName: '中国建设银行股份有限公司潢川支行',
        institutionUscc: '91411526MA00TEST1X',
        certificateTypes: [],
        interfaces: ['search', 'download', 'info', 'verify'],
        regionCodes: ['41'],
        validFrom: new Date('2026-01-01'),
        validUntil: new Date('2027-12-31'),
      },
      actor,
    );
    const c = await id.createApiClient({ agreementId, name: 'bank' }, actor);
    bankClientId = c.clientId;
    bank = `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`;
    registrar = (await fx.staff(HC.region, 'rr-registrar', ['registrar'])).token;
    const sealer = (await fx.staff(HC.region, 'rr-sealer', ['sealing-clerk'])).token;
    cert = await record(fx, registrar, entryOf(HC, 31));
    assert.equal((await sealAll(fx, sealer)).status, 'done');
  });
  after(async () => fx.close());

  const use = {
    purpose: '个人住房抵押贷款审批',
    caseNo: 'JH-DK-2026-001234',
    holderCode: OWNER.idNumber,
    holderCodeType: '111',
  };
  const share = (path: string, authorization: string | undefined, payload: object) =>
    fx.app.inject({
      method: 'POST',
      url: `/api/v1/share/${path}`,
      payload,
      ...(authorization ? { headers: { authorization } } : {}),
    });
  const rows = (action: string) =>
    fx.store.db.selectFrom('audit.entries').selectAll().where('action', '=', action).orderBy('seq').execute();

  test('a sharing call without 用证事由 is 400 and audited as a denied share.* call of that client', async () => {
    const { purpose: _p, ...noPurpose } = use;
    const r = await share('search', bank, noPurpose);
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.field, 'purpose');
    const row = (await rows('share.search')).at(-1);
    assert.ok(row, 'audited');
    assert.equal(row.result, 'denied');
    assert.equal(row.reason, 'PURPOSE_OR_CASE_MISSING');
    assert.equal(row.client_id, bankClientId);
    assert.equal(row.case_no, use.caseNo);
    assert.equal(row.purpose, null);
    assert.equal(row.request_id, r.json().error.requestId);
    // The holder only by keyed hash.
    assert.equal(row.holder_key, fx.services.ctx.fieldCrypto.index(OWNER.idNumber));
    assert.ok(!JSON.stringify(row).includes(OWNER.idNumber));
    assert.deepEqual((row.details as { fields: string[] }).fields, ['purpose']);
  });

  test('without a case number (download, info, verify alike) — refused and audited; other invalid bodies too', async () => {
    for (const path of ['download', 'info', 'verify']) {
      const r = await share(path, bank, { ...use, caseNo: '', identifier: cert.identifier, face: {} });
      assert.equal(r.statusCode, 400, path);
      assert.equal(r.json().error.field, 'caseNo');
      const row = (await rows(`share.${path}`)).at(-1);
      assert.equal(row?.reason, 'PURPOSE_OR_CASE_MISSING', path);
      assert.equal(row?.purpose, use.purpose);
    }
    const badType = await share('search', bank, { ...use, holderCodeType: 'x' });
    assert.equal(badType.statusCode, 400);
    assert.equal((await rows('share.search')).at(-1)?.reason, 'VALIDATION_FAILED');
    assert.equal((await verifyAuditChain(fx.store.db)).ok, true);
  });

  test('an unauthenticated or wrongly authenticated call is not a share.* refusal (auth.client records the bad one)', async () => {
    const before = (await rows('share.search')).length;
    assert.equal((await share('search', undefined, use)).statusCode, 401);
    // Without credentials an invalid body is still refused by its schema, but there is no one to record.
    assert.equal((await share('search', undefined, {})).statusCode, 400);
    const wrong = `Basic ${Buffer.from(`${bankClientId}:not-the-secret`).toString('base64')}`;
    assert.equal((await share('search', wrong, use)).statusCode, 401);
    assert.equal((await share('search', wrong, {})).statusCode, 400);
    assert.equal((await rows('share.search')).length, before);
    assert.equal((await rows('auth.client')).at(-1)?.reason, 'BAD_SECRET');
  });

  test('a staff search by holder ID is audited (keyed hash, criteria, results), the ID number never stored', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/certificates/search',
      headers: auth(registrar),
      payload: { holderIdNumber: OWNER.idNumber },
    });
    assert.equal(r.statusCode, 200);
    const row = (await rows('certificate.search')).at(-1);
    assert.ok(row, 'audited');
    assert.equal(row.holder_key, fx.services.ctx.fieldCrypto.index(OWNER.idNumber));
    const details = row.details as { criteria: string[]; certificateIds: string[] };
    assert.deepEqual(details.criteria, ['holderIdNumber']);
    assert.deepEqual(details.certificateIds, [cert.id]);
    assert.ok(!JSON.stringify(row).includes(OWNER.idNumber));
  });

  test('a staff detail read is audited and the holder sees it under “who accessed my certificate”', async () => {
    const r = await fx.app.inject({ url: `/api/v1/certificates/${cert.id}`, headers: auth(registrar) });
    assert.equal(r.statusCode, 200);
    const holder = await fx.holder(OWNER.name, OWNER.idNumber);
    const trail = await fx.app.inject({ url: `/api/v1/audit/certificates/${cert.id}`, headers: auth(holder) });
    assert.equal(trail.statusCode, 200, trail.body);
    const actions = (trail.json().items as { action: string; actorKind: string }[]).map((e) => e.action);
    assert.ok(actions.includes('certificate.view'));
  });
});
