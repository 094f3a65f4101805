import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { auditRows, entryOf, HC, MISSING_ID, NY, type Recorded, record, sealAll } from './world.js';

/**
 * Batch sealing (Henan 三(一)5: the agency's authorised clerk seals its pending certificates; issue 8: confirmed with
 * the second factor — a stepped-up session, POST /api/v1/auth/step-up).
 */
describe(`[${TEST_BACKEND}] POST /api/v1/seal-batches`, () => {
  let fx: AppFixture;
  const t: Record<string, string> = {};
  const pw: Record<string, string> = {};
  let first: Recorded;
  let nyPending: Recorded;

  before(async () => {
    fx = await appFixture();
    for (const [key, region, roles] of [
      ['registrar', HC.region, ['registrar']],
      ['sealer', HC.region, ['sealing-clerk']],
      ['auditor', HC.region, ['auditor']],
      ['admin', HC.region, ['agency-admin']],
      ['nyRegistrar', NY.region, ['registrar']],
      ['nySealer', NY.region, ['sealing-clerk']],
    ] as const) {
      const s = await fx.staff(region, `api-s-${key}`, [...roles], { stepUp: false });
      t[key] = s.token;
      pw[key] = s.password;
    }
    first = await record(fx, t.registrar!, entryOf(HC, 21));
    nyPending = await record(fx, t.nyRegistrar!, entryOf(NY, 21));
  });
  after(async () => fx.close());

  const seal = (token: string | undefined, payload: object = {}) =>
    fx.app.inject({
      method: 'POST',
      url: '/api/v1/seal-batches',
      payload,
      ...(token ? { headers: auth(token) } : {}),
    });
  const stepUp = (token: string, code: string) =>
    fx.app.inject({ method: 'POST', url: '/api/v1/auth/step-up', headers: auth(token), payload: { code } });
  const status = async (id: string) =>
    (await fx.store.db.selectFrom('certificates').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  test('security: without a step-up the clerk gets 403 STEP_UP_REQUIRED (zh + en), audited; nothing is sealed', async () => {
    const r = await seal(t.sealer, { certificateIds: [first.id] });
    assert.equal(r.statusCode, 403, r.body);
    const e = r.json().error;
    assert.equal(e.code, 'STEP_UP_REQUIRED');
    assert.match(e.message, /二次验证/);
    assert.match(e.messageEn, /step-up/);
    assert.ok(e.requestId);
    assert.equal(await status(first.id), 'pending-seal');
    const denied = await auditRows(fx, 'seal-batch.start', 'denied');
    assert.equal(denied.at(-1)?.reason, 'STEP_UP_REQUIRED');
  });

  test('happy: after the step-up the clerk seals the selection (202), progress is readable, the certificate issued', async () => {
    const s = await stepUp(t.sealer!, pw.sealer!);
    assert.equal(s.statusCode, 200, s.body);
    const r = await seal(t.sealer, { certificateIds: [first.id] });
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(r.json().total, 1);
    assert.equal(r.json().trigger, 'clerk');
    for (let i = 0; i < 400 && (await status(first.id)) === 'pending-seal'; i++)
      await new Promise((res) => setTimeout(res, 50));
    assert.equal(await status(first.id), 'issued');
    const p = await fx.app.inject({ url: `/api/v1/seal-batches/${r.json().id}`, headers: auth(t.auditor!) });
    assert.equal(p.statusCode, 200);
    assert.equal(p.json().sealed, 1);
    // Within the five minutes the same session seals again without another code.
    await record(fx, t.registrar!, entryOf(HC, 22));
    assert.equal((await sealAll(fx, t.sealer!)).status, 'done');
  });

  test('error: malformed ids are 400; certificates not pending for the agency are 422; an unknown batch is 404', async () => {
    const bad = await seal(t.sealer, { certificateIds: ['nope'] });
    assert.equal(bad.statusCode, 400);
    const notPending = await seal(t.sealer, { certificateIds: [first.id] });
    assert.equal(notPending.statusCode, 422, notPending.body);
    assert.equal(notPending.json().error.code, 'NOT_PENDING');
    const unknown = await fx.app.inject({ url: `/api/v1/seal-batches/${MISSING_ID}`, headers: auth(t.sealer!) });
    assert.equal(unknown.statusCode, 404);
  });

  test("security: registrar, auditor and admin cannot seal (403 FORBIDDEN even when stepped up); another agency's certificates are refused; anonymous 401", async () => {
    for (const who of ['registrar', 'auditor', 'admin']) {
      assert.equal((await stepUp(t[who]!, pw[who]!)).statusCode, 200, who);
      const r = await seal(t[who]);
      assert.equal(r.statusCode, 403, who);
      assert.equal(r.json().error.code, 'FORBIDDEN');
    }
    const cross = await seal(t.sealer, { certificateIds: [nyPending.id] });
    assert.equal(cross.statusCode, 422);
    assert.equal(await status(nyPending.id), 'pending-seal');
    assert.equal((await seal(undefined)).statusCode, 401);
    // The other agency's clerk sees its own pending work only.
    assert.equal((await stepUp(t.nySealer!, pw.nySealer!)).statusCode, 200);
    const ny = await seal(t.nySealer, {});
    assert.equal(ny.statusCode, 202);
    assert.equal(ny.json().total, 1);
    const theirBatch = await fx.app.inject({ url: `/api/v1/seal-batches/${ny.json().id}`, headers: auth(t.sealer!) });
    assert.equal(theirBatch.statusCode, 404);
    for (let i = 0; i < 400 && (await status(nyPending.id)) === 'pending-seal'; i++)
      await new Promise((res) => setTimeout(res, 50));
    assert.equal(await status(nyPending.id), 'issued');
  });
});
