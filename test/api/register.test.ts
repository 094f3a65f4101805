import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { auditRows, entryOf, HC, NY, notFoundShape } from './world.js';

/** Register entries (登簿; Henan 三(一)4: each agency's staff with their own permissions). */
describe(`[${TEST_BACKEND}] register entry routes`, () => {
  let fx: AppFixture;
  const t: Record<string, string> = {};
  let hcAgencyId = '';
  let nyAgencyId = '';

  before(async () => {
    fx = await appFixture();
    for (const [key, region, roles] of [
      ['registrar', HC.region, ['registrar']],
      ['sealer', HC.region, ['sealing-clerk']],
      ['auditor', HC.region, ['auditor']],
      ['nyRegistrar', NY.region, ['registrar']],
      ['province', '410000', ['province-admin']],
    ] as const)
      t[key] = (await fx.staff(region, `api-r-${key}`, [...roles], { stepUp: false })).token;
    hcAgencyId = (await fx.agency(HC.region)).id;
    nyAgencyId = (await fx.agency(NY.region)).id;
  });
  after(async () => fx.close());

  const post = (token: string | undefined, payload: object) =>
    fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      payload,
      ...(token ? { headers: auth(token) } : {}),
    });
  const list = (token: string | undefined, query = '') =>
    fx.app.inject({ url: `/api/v1/register/entries${query}`, ...(token ? { headers: auth(token) } : {}) });

  describe('POST /api/v1/register/entries', () => {
    test('happy: 201 with the outcome (a pending 证书); the same business number again is an idempotent 200', async () => {
      const body = entryOf(HC, 11);
      const r = await post(t.registrar, body);
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().replayed, false);
      assert.equal(r.json().outcome.document, 'property-certificate');
      assert.match(r.json().outcome.certificateNo, /^豫\(2026\)潢川县不动产权第\d{7}号$/);
      const again = await post(t.registrar, body);
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().replayed, true);
      assert.equal(again.json().entryId, r.json().entryId);
      assert.ok((await auditRows(fx, 'register.entry')).length >= 1);
    });

    test('error: a missing unit number is 400 naming the field; a reused business number with other content 422', async () => {
      const { unitNo: _u, ...noUnit } = entryOf(HC, 12);
      const r = await post(t.registrar, noUnit);
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.field, 'unitNo');
      const first = entryOf(HC, 13);
      assert.equal((await post(t.registrar, first)).statusCode, 201);
      const changed = await post(t.registrar, { ...first, location: `${first.location}（更正）` });
      assert.equal(changed.statusCode, 422, changed.body);
      assert.equal(changed.json().error.code, 'BUSINESS_NO_REUSED');
    });

    test("security: sealing clerk and auditor cannot record (403); another agency's id is 404; anonymous 401", async () => {
      for (const who of ['sealer', 'auditor']) {
        const r = await post(t[who], entryOf(HC, 14));
        assert.equal(r.statusCode, 403, who);
        assert.equal(r.json().error.code, 'FORBIDDEN');
      }
      const other = await post(t.registrar, { ...entryOf(HC, 15), agencyId: nyAgencyId });
      const missing = await post(t.registrar, { ...entryOf(HC, 15), agencyId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b' });
      assert.equal(other.statusCode, 404);
      assert.deepEqual(notFoundShape(other.body), notFoundShape(missing.body));
      assert.equal((await post(undefined, entryOf(HC, 16))).statusCode, 401);
      // Nothing of the refused calls was recorded.
      const l = await list(t.registrar, '?limit=200');
      const nos = l.json().items.map((e: { businessNo: string }) => e.businessNo);
      for (const n of [14, 15, 16]) assert.ok(!nos.includes(entryOf(HC, n).businessNo));
    });
  });

  describe('GET /api/v1/register/entries', () => {
    test('happy: the agency’s entries, newest first, for any of its staff roles', async () => {
      const r = await list(t.registrar);
      assert.equal(r.statusCode, 200, r.body);
      const items = r.json().items as { businessNo: string; recordedAt: string; outcome: { document: string } }[];
      assert.ok(items.some((e) => e.businessNo === entryOf(HC, 11).businessNo));
      for (const who of ['sealer', 'auditor']) assert.equal((await list(t[who])).statusCode, 200, who);
      const one = await list(t.registrar, '?limit=1');
      assert.equal(one.json().items.length, 1);
    });

    test('error: a limit out of range or a malformed cursor is 400', async () => {
      assert.equal((await list(t.registrar, '?limit=0')).statusCode, 400);
      assert.equal((await list(t.registrar, '?limit=201')).statusCode, 400);
      const b = await list(t.registrar, '?before=yesterday');
      assert.equal(b.statusCode, 400);
      assert.equal(b.json().error.code, 'VALIDATION_FAILED');
    });

    test("security: another agency's staff do not see our entries; anonymous 401", async () => {
      assert.equal(hcAgencyId.length, 36);
      const ny = await list(t.nyRegistrar);
      assert.equal(ny.statusCode, 200);
      assert.ok(!ny.json().items.some((e: { businessNo: string }) => e.businessNo.startsWith(`API${HC.region}`)));
      assert.equal((await list(undefined)).statusCode, 401);
    });
  });
});
