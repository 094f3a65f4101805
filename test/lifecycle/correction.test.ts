import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FaceInput } from '../../src/domain/face-data.js';
import { parseIdentifier } from '../../src/domain/identifier.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

const OWNER = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };

describe(`correction and status changes (Huangchuan 4.3, Nanyang Art. 9) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let registrar: string;
  let sealer: string;
  let admin: string;
  before(async () => {
    fx = await appFixture();
    registrar = (await fx.staff('411526', 'co-registrar', ['registrar'])).token;
    sealer = (await fx.staff('411526', 'co-sealer', ['sealing-clerk'])).token;
    admin = (await fx.staff('411526', 'co-admin', ['agency-admin'])).token;
  });
  after(async () => fx.close());

  const face = (unit: string, area = 98.56): FaceInput => {
    const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
    return { ...rest, holders: [OWNER], coOwnership: '单独所有', unitNo: unit, area };
  };
  async function issueOne(n: number): Promise<{ id: string; identifier: string; number: string }> {
    const unit = `411526001002GB${String(n).padStart(5, '0')}F00010203`;
    const r = await fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: auth(registrar),
      payload: {
        businessNo: `CORR0000${n}`,
        registrationType: '100',
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo: unit,
        location: P.location,
        face: face(unit),
      },
    });
    assert.equal(r.statusCode, 201, r.body);
    const b = await fx.app.inject({ method: 'POST', url: '/api/v1/seal-batches', headers: auth(sealer), payload: {} });
    for (let i = 0; i < 200; i++) {
      const p = await fx.app.inject({ url: `/api/v1/seal-batches/${b.json().id}`, headers: auth(sealer) });
      if (p.json().status !== 'running') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    return {
      id: r.json().outcome.certificateId,
      identifier: r.json().outcome.identifier,
      number: r.json().outcome.certificateNo,
    };
  }
  const correct = (id: string, body: object) =>
    fx.app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${id}/correct`,
      headers: auth(registrar),
      payload: body,
    });
  const status = (id: string) =>
    fx.store.db
      .selectFrom('certificates')
      .select(['status', 'version', 'certificate_no', 'identifier'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  test('never downloaded: rolled back and reissued as identifier version +1 with the same number', async () => {
    const c = await issueOne(1);
    const unit = '411526001002GB00001F00010203';
    const r = await correct(c.id, { face: face(unit, 99.01), reason: '面积录入错误' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().path, 'rollback');
    assert.equal((await status(c.id)).status, 'rolled-back');
    const n = await status(r.json().newId);
    assert.deepEqual([n.status, n.version, n.certificate_no], ['pending-seal', 2, c.number]);
    const a = parseIdentifier(c.identifier)!;
    const b = parseIdentifier(n.identifier)!;
    assert.deepEqual([a.serial, a.version, b.serial, b.version], [a.serial, 1, a.serial, 2]);
  });

  test('already downloaded: a correction registration is required; then cancel and reissue', async () => {
    const c = await issueOne(2);
    await fx.store.db
      .updateTable('certificates')
      .set({ collected: true, collected_at: new Date() })
      .where('id', '=', c.id)
      .execute();
    const unit = '411526001002GB00002F00010203';
    const refused = await correct(c.id, { face: face(unit, 99.01), reason: '面积录入错误' });
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().error.code, 'CORRECTION_REGISTRATION_REQUIRED');
    assert.equal(refused.json().error.field, 'correctionBusinessNo');
    const r = await correct(c.id, {
      face: face(unit, 99.01),
      reason: '面积录入错误',
      correctionBusinessNo: 'GZ20261121001',
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().path, 'correction-registration');
    assert.equal((await status(c.id)).status, 'cancelled');
    const entry = await fx.store.db
      .selectFrom('register_entries')
      .select('registration_type')
      .where('business_no', '=', 'GZ20261121001')
      .executeTakeFirstOrThrow();
    assert.equal(entry.registration_type, '500');
  });

  test('status changes need a reason and follow the state machine', async () => {
    const c = await issueOne(3);
    const change = (action: string, reason = '测试原因') =>
      fx.app.inject({
        method: 'POST',
        url: `/api/v1/certificates/${c.id}/status`,
        headers: auth(admin),
        payload: { action, reason },
      });
    assert.equal((await change('suspend', '')).statusCode, 400);
    assert.equal((await change('suspend')).json().statusName, '已挂起');
    const illegal = await change('pledge');
    assert.equal(illegal.statusCode, 422);
    assert.equal(illegal.json().error.code, 'ILLEGAL_TRANSITION');
    assert.equal((await change('resume')).json().statusName, '有效');
    assert.equal((await change('pledge')).json().pledged, true);
    assert.equal((await change('revoke')).json().statusName, '已吊销');
    const events = await fx.store.db
      .selectFrom('certificate_events')
      .select(['event', 'reason'])
      .where('certificate_id', '=', c.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event),
      ['render', 'seal', 'suspend', 'resume', 'pledge', 'revoke'],
    );
    const outbox = await fx.store.db
      .selectFrom('outbox')
      .select('event_type')
      .where('aggregate_id', '=', c.id)
      .execute();
    assert.ok(outbox.some((o) => o.event_type === 'certificate.revoke'));
  });
});
