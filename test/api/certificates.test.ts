import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import {
  auditRows,
  entryOf,
  faceOf,
  HC,
  MISSING_ID,
  NY,
  notFoundShape,
  OWNER,
  type Recorded,
  record,
  sealAll,
} from './world.js';

/**
 * Certificate routes for staff (issue 7 §2: authorization on every endpoint, scoped by agency; another agency's
 * certificate is indistinguishable from a missing one): detail, search, files, status, correction.
 */
describe(`[${TEST_BACKEND}] certificate routes`, () => {
  let fx: AppFixture;
  const t: Record<string, string> = {};
  let mine: Recorded;
  let toCorrect: Recorded;
  let theirs: Recorded;
  let holder: string;

  before(async () => {
    fx = await appFixture();
    for (const [key, region, roles] of [
      ['registrar', HC.region, ['registrar']],
      ['sealer', HC.region, ['sealing-clerk']],
      ['admin', HC.region, ['agency-admin']],
      ['auditor', HC.region, ['auditor']],
      ['nyRegistrar', NY.region, ['registrar']],
      ['nySealer', NY.region, ['sealing-clerk']],
      ['province', '410000', ['province-admin']],
    ] as const)
      t[key] = (await fx.staff(region, `api-c-${key}`, [...roles])).token;
    mine = await record(fx, t.registrar!, entryOf(HC, 1));
    toCorrect = await record(fx, t.registrar!, entryOf(HC, 2));
    theirs = await record(fx, t.nyRegistrar!, entryOf(NY, 1));
    assert.equal((await sealAll(fx, t.sealer!)).status, 'done');
    assert.equal((await sealAll(fx, t.nySealer!)).status, 'done');
    holder = await fx.holder(OWNER.name, OWNER.idNumber);
  });
  after(async () => fx.close());

  const get = (url: string, token?: string) =>
    fx.app.inject({ method: 'GET', url, ...(token ? { headers: auth(token) } : {}) });
  const post = (url: string, token: string | undefined, payload: object) =>
    fx.app.inject({ method: 'POST', url, payload, ...(token ? { headers: auth(token) } : {}) });

  describe('GET /api/v1/certificates/:id', () => {
    test('happy: staff of the agency read the detail with face data (ID numbers masked); the read is audited', async () => {
      const r = await get(`/api/v1/certificates/${mine.id}`, t.registrar);
      assert.equal(r.statusCode, 200, r.body);
      const c = r.json();
      assert.equal(c.id, mine.id);
      assert.equal(c.status, 'issued');
      assert.equal(c.face.holders[0].name, OWNER.name);
      assert.equal(c.face.holders[0].idNumber, '1101**********002X');
      assert.ok(!r.body.includes(OWNER.idNumber));
      assert.ok(c.events.length >= 2);
      for (const who of ['sealer', 'admin', 'auditor', 'province'])
        assert.equal((await get(`/api/v1/certificates/${mine.id}`, t[who])).statusCode, 200, who);
      const row = (await auditRows(fx, 'certificate.view')).find((a) => a.certificate_id === mine.id);
      assert.ok(row, 'certificate.view audited');
      assert.equal(row.result, 'success');
      assert.equal(row.issuing_agency_id, c.agencyId);
    });

    test('error: an unknown id is 404 in the envelope; a malformed id is 400', async () => {
      const missing = await get(`/api/v1/certificates/${MISSING_ID}`, t.registrar);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'NOT_FOUND');
      assert.ok(missing.json().error.message && missing.json().error.messageEn && missing.json().error.requestId);
      const bad = await get('/api/v1/certificates/not-a-uuid', t.registrar);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
    });

    test("security: another agency's certificate answers exactly like a missing one; anonymous and holders 401", async () => {
      const hidden = await get(`/api/v1/certificates/${theirs.id}`, t.registrar);
      const missing = await get(`/api/v1/certificates/${MISSING_ID}`, t.registrar);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await get(`/api/v1/certificates/${mine.id}`)).statusCode, 401);
      assert.equal((await get(`/api/v1/certificates/${mine.id}`, holder)).statusCode, 401);
      assert.equal((await get(`/api/v1/certificates/${mine.id}`, 'x'.repeat(43))).statusCode, 401);
    });
  });

  describe('POST /api/v1/certificates/search', () => {
    test('happy: by holder ID number (in the body) within the agency; holders masked; audited by keyed hash', async () => {
      const r = await post('/api/v1/certificates/search', t.registrar, { holderIdNumber: OWNER.idNumber });
      assert.equal(r.statusCode, 200, r.body);
      const ids = r.json().items.map((c: { id: string }) => c.id);
      assert.ok(ids.includes(mine.id) && !ids.includes(theirs.id));
      assert.equal(r.json().items[0].holders, '张*');
      const byNo = await post('/api/v1/certificates/search', t.auditor, { certificateNo: mine.certificateNo });
      assert.deepEqual(
        byNo.json().items.map((c: { id: string }) => c.id),
        [mine.id],
      );
      const rows = await auditRows(fx, 'certificate.search');
      const row = rows.find((a) => (a.details as { criteria: string[] }).criteria.includes('holderIdNumber'));
      assert.ok(row, 'search audited');
      assert.equal(row.holder_key, fx.services.ctx.fieldCrypto.index(OWNER.idNumber));
      assert.ok(!JSON.stringify(row).includes(OWNER.idNumber), 'no ID number in the audit row');
      assert.ok((row.details as { certificateIds: string[] }).certificateIds.includes(mine.id));
    });

    test('error: a page size over 100 or a wrong type is 400 naming the field', async () => {
      const r = await post('/api/v1/certificates/search', t.registrar, { pageSize: 1000 });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.field, 'pageSize');
      const s = await post('/api/v1/certificates/search', t.registrar, { unitNo: 42 });
      assert.equal(s.statusCode, 400);
    });

    test("security: another agency's staff find nothing of ours; a province admin finds both; anonymous 401", async () => {
      const ny = await post('/api/v1/certificates/search', t.nyRegistrar, { holderIdNumber: OWNER.idNumber });
      assert.deepEqual(
        ny.json().items.map((c: { id: string }) => c.id),
        [theirs.id],
      );
      const all = await post('/api/v1/certificates/search', t.province, { holderIdNumber: OWNER.idNumber });
      const ids = all.json().items.map((c: { id: string }) => c.id);
      assert.ok(ids.includes(mine.id) && ids.includes(theirs.id));
      assert.equal((await post('/api/v1/certificates/search', undefined, {})).statusCode, 401);
      assert.equal((await post('/api/v1/certificates/search', holder, {})).statusCode, 401);
    });
  });

  describe('GET /api/v1/certificates/:id/files/:file', () => {
    test('happy: the sealed OFD and the PDF, inline; the preview is audited', async () => {
      const ofd = await get(`/api/v1/certificates/${mine.id}/files/ofd`, t.registrar);
      assert.equal(ofd.statusCode, 200);
      assert.equal(ofd.headers['content-type'], 'application/ofd');
      assert.equal(ofd.rawPayload.subarray(0, 2).toString(), 'PK');
      const pdf = await get(`/api/v1/certificates/${mine.id}/files/pdf`, t.auditor);
      assert.equal(pdf.statusCode, 200);
      assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
      assert.match(String(pdf.headers['content-disposition']), /^inline; filename\*=UTF-8''/);
      assert.ok((await auditRows(fx, 'certificate.preview')).some((a) => a.certificate_id === mine.id));
    });

    test('error: a rendition that does not exist yet is 404 naming the file; an unknown kind is 400', async () => {
      const r = await get(`/api/v1/certificates/${mine.id}/files/cancelled-ofd`, t.registrar);
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error.field, 'file');
      assert.equal((await get(`/api/v1/certificates/${mine.id}/files/docx`, t.registrar)).statusCode, 400);
    });

    test("security: another agency's file is 404 like a missing certificate; anonymous 401", async () => {
      const hidden = await get(`/api/v1/certificates/${theirs.id}/files/ofd`, t.registrar);
      const missing = await get(`/api/v1/certificates/${MISSING_ID}/files/ofd`, t.registrar);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await get(`/api/v1/certificates/${mine.id}/files/ofd`)).statusCode, 401);
    });
  });

  describe('POST /api/v1/certificates/:id/status', () => {
    test('happy: a registrar suspends with a reason and resumes; each change is an event', async () => {
      const s = await post(`/api/v1/certificates/${mine.id}/status`, t.registrar, {
        action: 'suspend',
        reason: '法院协助执行通知，暂停使用',
      });
      assert.equal(s.statusCode, 200, s.body);
      assert.equal(s.json().status, 'suspended');
      assert.equal(s.json().statusReason, '法院协助执行通知，暂停使用');
      const r = await post(`/api/v1/certificates/${mine.id}/status`, t.admin, { action: 'resume', reason: '解除' });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().status, 'issued');
    });

    test('error: no reason is 400 naming the field; an illegal transition is refused (422)', async () => {
      const n = await post(`/api/v1/certificates/${mine.id}/status`, t.registrar, { action: 'suspend', reason: ' ' });
      assert.equal(n.statusCode, 400);
      assert.equal(n.json().error.field, 'reason');
      const bad = await post(`/api/v1/certificates/${mine.id}/status`, t.registrar, { action: 'resume', reason: 'x' });
      assert.equal(bad.statusCode, 422, bad.body);
      const unknown = await post(`/api/v1/certificates/${mine.id}/status`, t.registrar, {
        action: 'burn',
        reason: 'x',
      });
      assert.equal(unknown.statusCode, 400);
    });

    test('security: sealing clerk and auditor 403 (auditor is read-only); another agency 404; anonymous 401', async () => {
      const body = { action: 'suspend', reason: '测试' };
      for (const who of ['sealer', 'auditor']) {
        const r = await post(`/api/v1/certificates/${mine.id}/status`, t[who], body);
        assert.equal(r.statusCode, 403, who);
        assert.equal(r.json().error.code, 'FORBIDDEN');
      }
      const hidden = await post(`/api/v1/certificates/${theirs.id}/status`, t.registrar, body);
      const missing = await post(`/api/v1/certificates/${MISSING_ID}/status`, t.registrar, body);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await post(`/api/v1/certificates/${mine.id}/status`, undefined, body)).statusCode, 401);
      const still = await get(`/api/v1/certificates/${mine.id}`, t.registrar);
      assert.equal(still.json().status, 'issued');
    });
  });

  describe('POST /api/v1/certificates/:id/correct', () => {
    test('happy: never downloaded → rolled back and reissued as version +1 with the same number', async () => {
      const r = await post(`/api/v1/certificates/${toCorrect.id}/correct`, t.registrar, {
        face: faceOf(HC, 2, OWNER, 99.12),
        reason: '面积录入错误',
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().path, 'rollback');
      assert.equal(r.json().oldId, toCorrect.id);
      assert.notEqual(r.json().newId, toCorrect.id);
      assert.match(r.json().identifier, /\.002\.[0-9A-Z]$/);
    });

    test('error: no reason or no face data is 400, naming the field', async () => {
      const noReason = await post(`/api/v1/certificates/${mine.id}/correct`, t.registrar, {
        face: faceOf(HC, 1),
        reason: '',
      });
      assert.equal(noReason.statusCode, 400);
      assert.equal(noReason.json().error.field, 'reason');
      const noFace = await post(`/api/v1/certificates/${mine.id}/correct`, t.registrar, { reason: 'x' });
      assert.equal(noFace.statusCode, 400);
    });

    test('security: sealing clerk and auditor 403; another agency 404; anonymous 401', async () => {
      const body = { face: faceOf(HC, 1, OWNER, 100), reason: '测试' };
      for (const who of ['sealer', 'auditor'])
        assert.equal((await post(`/api/v1/certificates/${mine.id}/correct`, t[who], body)).statusCode, 403, who);
      const hidden = await post(`/api/v1/certificates/${theirs.id}/correct`, t.registrar, body);
      const missing = await post(`/api/v1/certificates/${MISSING_ID}/correct`, t.registrar, body);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await post(`/api/v1/certificates/${mine.id}/correct`, undefined, body)).statusCode, 401);
    });
  });
});
