import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runBatch, startBatch } from '../../src/modules/issuance/sealing.js';
import { recordEntry } from '../../src/modules/issuance/service.js';
import { OWNER_A, propertyFace, unitNo } from '../register/support.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';

describe(`case archiving on first download or paper collection (Huangchuan 2.3–2.5) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let registrar: string;
  let otherRegistrar: string;
  let sealer: string;
  let holder: string;
  let agencyId: string;
  let n = 0;
  before(async () => {
    fx = await appFixture();
    registrar = (await fx.staff('411526', 'arch-registrar', ['registrar'])).token;
    otherRegistrar = (await fx.staff('411300', 'arch-other', ['registrar'])).token;
    sealer = (await fx.staff('411526', 'arch-sealer', ['sealing-clerk'])).token;
    holder = await fx.holder(OWNER_A.name, OWNER_A.idNumber);
    agencyId = (await fx.agency('411526')).id;
  });
  after(async () => fx.close());

  const actor = { kind: 'system' as const, id: 'test' };
  const issued = async (seal = true) => {
    n++;
    const r = await recordEntry(
      fx.services.issuance,
      {
        businessNo: `ARCH2026${String(n).padStart(4, '0')}`,
        agencyId,
        registrationType: '100',
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo: unitNo(700 + n),
        location: propertyFace(700 + n).location,
        face: propertyFace(700 + n),
        caseId: `HN-TB-2026-${n}`,
      },
      actor,
    );
    if (seal) {
      const b = await startBatch(fx.services.issuance, { agencyId, trigger: 'clerk', actor });
      await runBatch(fx.services.issuance, b.id);
    }
    return { certificateId: r.outcome.certificateId!, entryId: r.entryId };
  };
  const download = (id: string) =>
    fx.app.inject({ url: `/api/v1/holder/certificates/${id}/download?format=pdf`, headers: auth(holder) });
  const archivedEvents = async (entryId: string) =>
    fx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('event_type', '=', 'case.archived')
      .where('aggregate_id', '=', entryId)
      .execute();
  const detail = async (id: string) => {
    const r = await fx.app.inject({ url: `/api/v1/certificates/${id}`, headers: auth(registrar) });
    assert.equal(r.statusCode, 200, r.body);
    return r.json();
  };
  const collectPaper = (
    id: string,
    token = registrar,
    body: object = { collectorName: '张三', collectorIdNumber: OWNER_A.idNumber, paperSerialNo: '411526000777' },
  ) =>
    fx.app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${id}/paper-collection`,
      headers: auth(token),
      payload: body,
    });

  test('the first download archives the case once: who, when, first-download, case.archived event', async () => {
    const c = await issued();
    assert.equal((await detail(c.certificateId)).archive, null);
    fx.clock.now = new Date('2026-11-20T02:10:00.000Z');
    const d1 = await download(c.certificateId);
    assert.equal(d1.statusCode, 200, d1.body);
    const a = await fx.store.db
      .selectFrom('case_archives')
      .selectAll()
      .where('entry_id', '=', c.entryId)
      .executeTakeFirstOrThrow();
    assert.equal(a.trigger, 'first-download');
    assert.equal(a.archived_at.toISOString(), '2026-11-20T02:10:00.000Z');
    assert.equal((a.actor as { kind: string }).kind, 'holder');
    assert.equal(a.case_id, 'HN-TB-2026-1');
    fx.clock.now = new Date('2026-11-20T02:15:00.000Z');
    assert.equal((await download(c.certificateId)).statusCode, 200);
    const events = await archivedEvents(c.entryId);
    assert.equal(events.length, 1, 'later downloads archive nothing again');
    assert.equal((events[0]!.payload as { trigger: string }).trigger, 'first-download');
    const d = await detail(c.certificateId);
    assert.equal(d.archive.trigger, 'first-download');
    assert.equal(d.archive.archivedAt, '2026-11-20T02:10:00.000Z');
    assert.equal(d.paperCollection, null);
    // Collecting the paper certificate afterwards is recorded, the case stays archived by the download.
    const p = await collectPaper(c.certificateId);
    assert.equal(p.statusCode, 201, p.body);
    assert.equal(p.json().archivedNow, false);
    assert.equal(p.json().archive.trigger, 'first-download');
    assert.equal((await archivedEvents(c.entryId)).length, 1);
  });

  test('collecting the paper certificate first archives the case (paper-collection); shown in the detail', async () => {
    const c = await issued();
    fx.clock.now = new Date('2026-11-20T02:20:00.000Z');
    const p = await collectPaper(c.certificateId);
    assert.equal(p.statusCode, 201, p.body);
    assert.equal(p.json().archivedNow, true);
    const d = await detail(c.certificateId);
    assert.equal(d.archive.trigger, 'paper-collection');
    assert.equal(d.archive.archivedAt, '2026-11-20T02:20:00.000Z');
    assert.equal(d.paperCollection.collector, '张*');
    assert.equal(d.paperCollection.collectorIdNumber.includes(OWNER_A.idNumber), false, 'the ID number is masked');
    assert.equal(d.paperCollection.paperSerialNo, '411526000777');
    assert.ok(d.events.some((e: { event: string }) => e.event === 'paper-collect'));
    const events = await archivedEvents(c.entryId);
    assert.deepEqual(
      events.map((e) => (e.payload as { trigger: string }).trigger),
      ['paper-collection'],
    );
    const again = await collectPaper(c.certificateId);
    assert.equal(again.statusCode, 422);
    assert.equal(again.json().error.code, 'PAPER_ALREADY_COLLECTED');
    // The first download later sets 领用时间 but archives nothing new (the clock stays inside the holder's session).
    fx.clock.now = new Date('2026-11-20T02:25:00.000Z');
    assert.equal((await download(c.certificateId)).statusCode, 200);
    assert.equal((await archivedEvents(c.entryId)).length, 1);
    const archive = await fx.app.inject({
      url: `/api/v1/certificates/${c.certificateId}/archive`,
      headers: auth(sealer),
    });
    assert.equal(archive.statusCode, 200);
    assert.equal(archive.json().archive.trigger, 'paper-collection');
  });

  test('a paper certificate in hand rules out the rollback: correction needs a correction registration', async () => {
    const c = await issued();
    assert.equal((await collectPaper(c.certificateId)).statusCode, 201);
    const r = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/certificates/${c.certificateId}/correct`,
      headers: auth(registrar),
      payload: { face: propertyFace(700 + n), reason: '坐落录入错误' },
    });
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(r.json().error.code, 'CORRECTION_REGISTRATION_REQUIRED');
    assert.match(r.json().error.message, /纸质证书/);
  });

  test('only issued certificates, only staff of the agency with the role', async () => {
    const pending = await issued(false);
    const r = await collectPaper(pending.certificateId);
    assert.equal(r.statusCode, 422);
    assert.equal(r.json().error.code, 'NOT_COLLECTABLE');
    assert.equal((await collectPaper(pending.certificateId, otherRegistrar)).statusCode, 404);
    assert.equal((await collectPaper(pending.certificateId, sealer)).statusCode, 403);
    assert.equal((await collectPaper(pending.certificateId, registrar, { collectorName: ' ' })).statusCode, 400);
  });
});
