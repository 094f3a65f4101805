import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import {
  auditRows,
  entryOf,
  HC,
  MISSING_ID,
  NY,
  notFoundShape,
  OWNER,
  type Recorded,
  record,
  sealAll,
} from './world.js';

const OTHER = {
  name: '李四',
  idType: '111',
  idNumber: '41152619870705004X',
  holderType: '1',
} as unknown as typeof OWNER;

/**
 * Issue 7 server gaps: the holder's inline preview (not a collection), a register entry's detail, the verdict of the
 * public file verification, and audited reads of the usage report and "who accessed mine".
 */
describe(`[${TEST_BACKEND}] API gaps: preview, entry detail, file verdict, audited audit reads`, () => {
  let fx: AppFixture;
  const t: Record<string, string> = {};
  let mine: Recorded;
  let entryId: string;
  let theirs: Recorded;
  let theirEntryId: string;
  let notMine: Recorded;
  let pending: Recorded;
  let holder: string;
  let otherHolder: string;

  before(async () => {
    fx = await appFixture();
    for (const [key, region, roles] of [
      ['registrar', HC.region, ['registrar']],
      ['sealer', HC.region, ['sealing-clerk']],
      ['auditor', HC.region, ['auditor']],
      ['nyRegistrar', NY.region, ['registrar']],
      ['nySealer', NY.region, ['sealing-clerk']],
      ['nyAuditor', NY.region, ['auditor']],
      ['province', '410000', ['province-admin']],
    ] as const)
      t[key] = (await fx.staff(region, `api-g-${key}`, [...roles])).token;
    const r = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: auth(t.registrar!),
      payload: entryOf(HC, 41),
    });
    assert.equal(r.statusCode, 201, r.body);
    entryId = r.json().entryId;
    mine = { id: r.json().outcome.certificateId, identifier: '', certificateNo: r.json().outcome.certificateNo };
    notMine = await record(fx, t.registrar!, entryOf(HC, 42, OTHER));
    const n = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: auth(t.nyRegistrar!),
      payload: entryOf(NY, 41),
    });
    theirEntryId = n.json().entryId;
    theirs = { id: n.json().outcome.certificateId, identifier: '', certificateNo: '' };
    assert.equal((await sealAll(fx, t.sealer!)).status, 'done');
    assert.equal((await sealAll(fx, t.nySealer!)).status, 'done');
    pending = await record(fx, t.registrar!, entryOf(HC, 43));
    holder = await fx.holder(OWNER.name, OWNER.idNumber);
    otherHolder = await fx.holder(OTHER.name, OTHER.idNumber);
  });
  after(async () => fx.close());

  const get = (url: string, token?: string) =>
    fx.app.inject({ method: 'GET', url, ...(token ? { headers: auth(token) } : {}) });
  const collectedAt = async (id: string) =>
    (
      await fx.store.db.selectFrom('certificates').select(['collected', 'collected_at']).where('id', '=', id).execute()
    )[0];

  describe('GET /api/v1/holder/certificates/:id/preview', () => {
    test('happy: the holder views the PDF inline; not a collection, not a download; audited as a read', async () => {
      const before = await collectedAt(mine.id);
      assert.equal(before?.collected, false);
      const downloadsBefore = (await auditRows(fx, 'certificate.download')).length;
      const r = await get(`/api/v1/holder/certificates/${mine.id}/preview`, holder);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.headers['content-type'], 'application/pdf');
      assert.match(String(r.headers['content-disposition']), /^inline; filename\*=UTF-8''/);
      assert.equal(r.rawPayload.subarray(0, 5).toString(), '%PDF-');
      const ofd = await get(`/api/v1/holder/certificates/${mine.id}/preview?format=ofd`, holder);
      assert.equal(ofd.statusCode, 200);
      assert.equal(ofd.rawPayload.subarray(0, 2).toString(), 'PK');
      const after = await collectedAt(mine.id);
      assert.equal(after?.collected, false, '领用 unchanged');
      assert.equal(after?.collected_at, null);
      assert.equal((await auditRows(fx, 'certificate.download')).length, downloadsBefore, 'no download counted');
      const events = await fx.store.db
        .selectFrom('certificate_events')
        .select('event')
        .where('certificate_id', '=', mine.id)
        .execute();
      assert.ok(!events.some((e) => e.event === 'download' || e.event === 'collect'));
      const reads = (await auditRows(fx, 'certificate.preview')).filter((a) => a.certificate_id === mine.id);
      assert.equal(reads.length, 2);
      assert.equal(reads[0]!.actor_kind, 'holder');
      assert.equal(reads[0]!.result, 'success');
      // The download afterwards is still the first one: it sets 领用时间.
      const d = await get(`/api/v1/holder/certificates/${mine.id}/download?format=pdf`, holder);
      assert.equal(d.statusCode, 200);
      assert.equal((await collectedAt(mine.id))?.collected, true);
    });

    test('error: a certificate not sealed yet has no file (422); a bad format or id is 400', async () => {
      const p = await get(`/api/v1/holder/certificates/${pending.id}/preview`, holder);
      assert.equal(p.statusCode, 422, p.body);
      assert.equal(p.json().error.code, 'NOT_DOWNLOADABLE');
      assert.equal((await get(`/api/v1/holder/certificates/${mine.id}/preview?format=docx`, holder)).statusCode, 400);
      assert.equal((await get('/api/v1/holder/certificates/not-a-uuid/preview', holder)).statusCode, 400);
    });

    test("security: another holder's certificate is 404 like a missing one; staff and anonymous 401", async () => {
      const hidden = await get(`/api/v1/holder/certificates/${notMine.id}/preview`, holder);
      const missing = await get(`/api/v1/holder/certificates/${MISSING_ID}/preview`, holder);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await get(`/api/v1/holder/certificates/${notMine.id}/preview`, otherHolder)).statusCode, 200);
      assert.equal((await get(`/api/v1/holder/certificates/${mine.id}/preview`, t.registrar)).statusCode, 401);
      assert.equal((await get(`/api/v1/holder/certificates/${mine.id}/preview`)).statusCode, 401);
    });
  });

  describe('GET /api/v1/register/entries/:id', () => {
    test('happy: staff of the agency read entry, unit, rights (holders masked) and the certificate; audited', async () => {
      for (const who of ['registrar', 'auditor', 'province']) {
        const r = await get(`/api/v1/register/entries/${entryId}`, t[who]);
        assert.equal(r.statusCode, 200, `${who}: ${r.body}`);
        const e = r.json();
        assert.equal(e.id, entryId);
        assert.equal(e.businessNo, entryOf(HC, 41).businessNo);
        assert.equal(e.unit.unitNo, entryOf(HC, 41).unitNo);
        assert.equal(e.unit.location, entryOf(HC, 41).location);
        assert.equal(e.rights.length, 1);
        assert.deepEqual(e.rights[0].holders, [{ name: '张*', idType: '111', idNumber: '1101**********002X' }]);
        assert.ok(!r.body.includes(OWNER.idNumber) && !r.body.includes(OWNER.name), 'no clear personal data');
        assert.deepEqual(
          e.certificates.map((c: { id: string }) => c.id),
          [mine.id],
        );
        assert.equal(e.outcome.certificateId, mine.id);
      }
      const reads = (await auditRows(fx, 'register.entry.view')).filter((a) => a.object_id === entryId);
      assert.equal(reads.length, 3);
    });

    test('error: a malformed id is 400; a missing one 404', async () => {
      assert.equal((await get('/api/v1/register/entries/abc', t.registrar)).statusCode, 400);
      assert.equal((await get(`/api/v1/register/entries/${MISSING_ID}`, t.registrar)).statusCode, 404);
    });

    test("security: another agency's entry is 404 like a missing one; holders and anonymous 401", async () => {
      const hidden = await get(`/api/v1/register/entries/${theirEntryId}`, t.registrar);
      const missing = await get(`/api/v1/register/entries/${MISSING_ID}`, t.registrar);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await get(`/api/v1/register/entries/${theirEntryId}`, t.nyRegistrar)).statusCode, 200);
      assert.equal((await get(`/api/v1/register/entries/${entryId}`, holder)).statusCode, 401);
      assert.equal((await get(`/api/v1/register/entries/${entryId}`)).statusCode, 401);
    });
  });

  describe('POST /api/v1/verify/file', () => {
    const upload = (payload: Buffer) =>
      fx.app.inject({
        method: 'POST',
        url: '/api/v1/verify/file',
        headers: { 'content-type': 'application/ofd' },
        payload,
      });
    const sealedOfd = async () => {
      const f = await get(`/api/v1/certificates/${theirs.id}/files/ofd`, t.nyRegistrar);
      assert.equal(f.statusCode, 200);
      return f.rawPayload;
    };

    test('happy: a sealed file has verdict valid beside the check list', async () => {
      const r = await upload(await sealedOfd());
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().verdict, 'valid', r.body);
      assert.equal(r.json().valid, true);
      assert.ok(r.json().checks.length > 5);
      assert.ok(r.json().checks.every((c: { status: string }) => c.status === 'passed' || c.status === 'skipped'));
    });

    test('error: a tampered file has verdict invalid; an empty body or a JSON body is 400', async () => {
      const bytes = Buffer.from(await sealedOfd());
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      const r = await upload(bytes);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().verdict, 'invalid');
      assert.equal(r.json().valid, false);
      assert.ok(r.json().checks.some((c: { status: string }) => c.status === 'failed'));
      assert.equal((await upload(Buffer.alloc(0))).statusCode, 400);
      const json = await fx.app.inject({ method: 'POST', url: '/api/v1/verify/file', payload: { a: 1 } });
      assert.equal(json.statusCode, 400, json.body);
    });
  });

  describe('audited reads of the audit log', () => {
    const usage = (token?: string, agencyId?: string) =>
      get(
        `/api/v1/audit/usage?from=2026-01-01T00:00:00.000Z&to=2027-01-01T00:00:00.000Z${agencyId ? `&agencyId=${agencyId}` : ''}`,
        token,
      );

    test('happy: reading the usage report is audited with actor, agency and result, and is not in the report', async () => {
      const hc = await fx.agency(HC.region);
      const r = await usage(t.auditor);
      assert.equal(r.statusCode, 200, r.body);
      const rows = await auditRows(fx, 'audit.usage-read', 'success');
      const row = rows.at(-1)!;
      assert.equal(row.actor_kind, 'staff');
      assert.equal(row.object_type, 'agency');
      assert.equal(row.object_id, hc.id);
      assert.equal(row.issuing_agency_id, null, 'the read is not a use of a certificate');
      const again = await usage(t.auditor);
      assert.ok(!again.json().items.some((i: { action: string }) => i.action === 'audit.usage-read'));
    });

    test('happy: "who accessed mine" read by the holder is audited, and does not list itself', async () => {
      const r = await get(`/api/v1/audit/certificates/${mine.id}`, holder);
      assert.equal(r.statusCode, 200, r.body);
      const rows = (await auditRows(fx, 'audit.certificate-read', 'success')).filter((a) => a.object_id === mine.id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor_kind, 'holder');
      assert.equal(rows[0]!.certificate_id, null);
      const again = await get(`/api/v1/audit/certificates/${mine.id}`, holder);
      assert.ok(!again.json().items.some((i: { action: string }) => i.action === 'audit.certificate-read'));
      const issuer = await get(`/api/v1/audit/certificates/${mine.id}`, t.auditor);
      assert.equal(issuer.statusCode, 200);
      assert.equal(
        (await auditRows(fx, 'audit.certificate-read', 'success')).filter((a) => a.object_id === mine.id).length,
        3,
      );
    });

    test("security: refused reads (another agency's report, another holder's certificate) are 404 and audited as denied", async () => {
      const hc = await fx.agency(HC.region);
      const r = await usage(t.nyAuditor, hc.id);
      assert.equal(r.statusCode, 404);
      const denied = (await auditRows(fx, 'audit.usage-read', 'denied')).at(-1)!;
      assert.equal(denied.object_id, hc.id);
      assert.equal(denied.reason, 'NOT_FOUND');
      const h = await get(`/api/v1/audit/certificates/${mine.id}`, otherHolder);
      assert.equal(h.statusCode, 404);
      const hd = (await auditRows(fx, 'audit.certificate-read', 'denied')).filter((a) => a.object_id === mine.id);
      assert.equal(hd.length, 1);
      assert.equal((await usage()).statusCode, 401);
    });
  });
});
