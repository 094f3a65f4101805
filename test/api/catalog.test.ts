import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { HC, MISSING_ID, NY, notFoundShape } from './world.js';

/** Agencies (public) and seal renewal (agency admin of the seal's agency only; issue 4 §6). */
describe(`[${TEST_BACKEND}] catalog routes`, () => {
  let fx: AppFixture;
  const t: Record<string, string> = {};
  let hcSeal = '';
  let nySeal = '';

  before(async () => {
    fx = await appFixture();
    for (const [key, region, roles] of [
      ['admin', HC.region, ['agency-admin']],
      ['sealer', HC.region, ['sealing-clerk']],
      ['auditor', HC.region, ['auditor']],
      ['nyAdmin', NY.region, ['agency-admin']],
    ] as const)
      t[key] = (await fx.staff(region, `api-k-${key}`, [...roles], { stepUp: false })).token;
    const seals = async (region: string, token: string) => {
      const a = await fx.agency(region);
      const r = await fx.app.inject({ url: `/api/v1/agencies/${a.id}/seals`, headers: auth(token) });
      assert.equal(r.statusCode, 200, r.body);
      return (r.json().items as { id: string; status: string }[]).find((s) => s.status === 'active')!.id;
    };
    hcSeal = await seals(HC.region, t.admin!);
    nySeal = await seals(NY.region, t.nyAdmin!);
  });
  after(async () => fx.close());

  describe('GET /api/v1/agencies', () => {
    test('happy: the registration agencies with their codes and sealing schedule', async () => {
      const r = await fx.app.inject({ url: '/api/v1/agencies' });
      assert.equal(r.statusCode, 200, r.body);
      const hc = (r.json().items as { regionCode: string; uscc: string; sealingTimes: string[] }[]).find(
        (a) => a.regionCode === HC.region,
      );
      assert.equal(hc?.uscc, HC.uscc);
      assert.deepEqual(hc?.sealingTimes, ['12:00', '18:00']);
    });

    test('error: an unsupported method answers the JSON error envelope', async () => {
      const r = await fx.app.inject({ method: 'DELETE', url: '/api/v1/agencies' });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().error.code, 'NOT_FOUND');
    });

    test('security: public by design (printed on every certificate) and carries no key material', async () => {
      const anon = await fx.app.inject({ url: '/api/v1/agencies' });
      const bad = await fx.app.inject({
        url: '/api/v1/agencies',
        headers: { authorization: 'Bearer nonsense-token-value' },
      });
      assert.equal(anon.statusCode, 200);
      assert.equal(bad.statusCode, 200);
      assert.doesNotMatch(anon.body, /seal_der|signer|key|BEGIN/i);
    });
  });

  describe('POST /api/v1/seals/:sealId/renew', () => {
    test('happy: the agency admin renews; a new seal replaces the old one, which is suspended but kept', async () => {
      const r = await fx.app.inject({
        method: 'POST',
        url: `/api/v1/seals/${hcSeal}/renew`,
        headers: auth(t.admin!),
        payload: { validTo: '2031-12-31T16:00:00Z', reason: '有效期届满续期' },
      });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().replacesId, hcSeal);
      assert.equal(r.json().status, 'active');
      assert.equal(r.json().validTo, '2031-12-31T16:00:00.000Z');
      const a = await fx.agency(HC.region);
      const list = await fx.app.inject({ url: `/api/v1/agencies/${a.id}/seals`, headers: auth(t.auditor!) });
      const old = (list.json().items as { id: string; status: string }[]).find((s) => s.id === hcSeal);
      assert.notEqual(old?.status, 'active');
      hcSeal = r.json().id;
    });

    test('error: no reason or a malformed date is 400; an unknown seal is 404', async () => {
      const noReason = await fx.app.inject({
        method: 'POST',
        url: `/api/v1/seals/${hcSeal}/renew`,
        headers: auth(t.admin!),
        payload: { validTo: '2031-12-31T16:00:00Z' },
      });
      assert.equal(noReason.statusCode, 400);
      assert.equal(noReason.json().error.field, 'reason');
      const badDate = await fx.app.inject({
        method: 'POST',
        url: `/api/v1/seals/${hcSeal}/renew`,
        headers: auth(t.admin!),
        payload: { validTo: '31.12.2031', reason: 'x' },
      });
      assert.equal(badDate.statusCode, 400);
      const unknown = await fx.app.inject({
        method: 'POST',
        url: `/api/v1/seals/${MISSING_ID}/renew`,
        headers: auth(t.admin!),
        payload: { validTo: '2031-12-31T16:00:00Z', reason: 'x' },
      });
      assert.equal(unknown.statusCode, 404);
    });

    test("security: a sealing clerk or an auditor is 403; another agency's admin gets 404 as if missing; anonymous 401", async () => {
      const body = { validTo: '2032-12-31T16:00:00Z', reason: '测试' };
      const as = (token: string | undefined, seal: string) =>
        fx.app.inject({
          method: 'POST',
          url: `/api/v1/seals/${seal}/renew`,
          payload: body,
          ...(token ? { headers: auth(token) } : {}),
        });
      for (const who of ['sealer', 'auditor']) {
        const r = await as(t[who], hcSeal);
        assert.equal(r.statusCode, 403, who);
        assert.equal(r.json().error.code, 'FORBIDDEN');
      }
      const hidden = await as(t.nyAdmin, hcSeal);
      const missing = await as(t.nyAdmin, MISSING_ID);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(notFoundShape(hidden.body), notFoundShape(missing.body));
      assert.equal((await as(undefined, nySeal)).statusCode, 401);
    });
  });
});
