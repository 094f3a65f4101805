import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FaceData } from '../../src/domain/face-data.js';
import { decryptFace, recordEntry, recordStockEntries, type StockEntry } from '../../src/modules/issuance/service.js';
import { type AppFixture, appFixture } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { propertyFace, unitNo } from './support.js';

// The bulk stock path (one statement per table per group) against the one-row path it replaces for stock.
describe(`recordStockEntries [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let agencyId: string;
  const actor = { kind: 'system' as const, id: 'stock-bulk-test' };
  before(async () => {
    fx = await appFixture();
    agencyId = (await fx.agency('411526')).id;
  });
  after(async () => fx.close());

  const entry = (serial: number, o: { location?: string } = {}): StockEntry => {
    const face = { ...propertyFace(serial, undefined, '20210615'), ...(o.location ? { location: o.location } : {}) };
    return {
      input: {
        businessNo: `STOCK-BULK-${serial}`,
        agencyId,
        registrationType: '900',
        recordedAt: '2021-06-15T00:00:00+08:00',
        unitNo: unitNo(serial),
        location: face.location,
        face,
      },
      stockNumber: `豫(2021)潢川县不动产权第${String(serial).padStart(7, '0')}号`,
    };
  };
  const db = () => fx.store.db;
  async function written(entryId: string) {
    const e = await db().selectFrom('register_entries').selectAll().where('id', '=', entryId).executeTakeFirstOrThrow();
    const c = await db()
      .selectFrom('certificates')
      .selectAll()
      .where('entry_id', '=', entryId)
      .executeTakeFirstOrThrow();
    const events = await db()
      .selectFrom('certificate_events')
      .select(['event', 'from_status', 'to_status', 'reason'])
      .where('certificate_id', '=', c.id)
      .execute();
    const outbox = await db()
      .selectFrom('outbox')
      .select(['event_type', 'aggregate_type'])
      .where('aggregate_id', 'in', [entryId, c.id])
      .orderBy('id')
      .execute();
    const audit = await db()
      .selectFrom('audit.entries')
      .select(['action', 'object_type', 'certificate_id', 'issuing_agency_id', 'details'])
      .where('object_id', '=', entryId)
      .execute();
    const {
      identifier: _i,
      certificateNo: _n,
      infoQr: _q,
      queryQr: _u,
      ...face
    } = decryptFace(fx.services.issuance, c) as FaceData & {
      certificateNo?: string;
    };
    return {
      entry: { source: e.source, registration_type: e.registration_type, outcomeKeys: Object.keys(e.outcome).sort() },
      certificate: { status: c.status, year: c.year, version: c.version, holder_keys: c.holder_keys, face },
      events,
      outbox,
      audit: audit.map((a) => ({
        ...a,
        certificate_id: a.certificate_id === c.id,
        details: { ...(a.details as object), businessNo: '-' },
      })),
    };
  }

  test('writes what recordEntry writes for a stock row: entry, certificate, events, outbox, audit', async () => {
    const one = entry(1);
    const single = await recordEntry(fx.services.issuance, one.input, actor, 'stock-import', {
      stockNumber: one.stockNumber,
    });
    const [bulk] = await recordStockEntries(fx.services.issuance, [entry(2)], actor);
    assert.ok(bulk && !bulk.replayed);
    const a = await written(single.entryId);
    const b = await written(bulk.entryId);
    // The faces differ in the unit number only (each row is its own unit).
    assert.equal(b.certificate.face.unitNo, unitNo(2));
    b.certificate.face.unitNo = a.certificate.face.unitNo;
    assert.deepEqual(b, a);
    assert.equal(bulk.outcome.certificateNo, '豫(2021)潢川县不动产权第0000002号');
  });

  test('replays: a 业务号 recorded before or earlier in the same group is answered, not recorded twice', async () => {
    const before = (await db().selectFrom('certificates').select('id').execute()).length;
    const r = await recordStockEntries(fx.services.issuance, [entry(2), entry(3), entry(3)], actor);
    assert.deepEqual(
      r.map((x) => x.replayed),
      [true, false, true],
    );
    assert.equal(r[2]!.entryId, r[1]!.entryId);
    assert.equal((await db().selectFrom('certificates').select('id').execute()).length, before + 1);
  });

  test('a 业务号 reused with other content fails the whole group: nothing of it is written', async () => {
    const before = (await db().selectFrom('register_entries').select('id').execute()).length;
    await assert.rejects(
      recordStockEntries(fx.services.issuance, [entry(4), entry(3, { location: '潢川县别处路1号' })], actor),
      (e: { code?: string }) => e.code === 'BUSINESS_NO_REUSED',
    );
    assert.equal((await db().selectFrom('register_entries').select('id').execute()).length, before);
  });

  test('the counter moves past the largest paper number of the group, never back', async () => {
    await recordStockEntries(fx.services.issuance, [entry(9), entry(5), entry(7)], actor);
    await recordStockEntries(fx.services.issuance, [entry(6)], actor);
    const c = await db()
      .selectFrom('certificate_counters')
      .select('last_serial')
      .where('agency_id', '=', agencyId)
      .where('year', '=', 2021)
      .executeTakeFirstOrThrow();
    assert.equal(c.last_serial, 9);
  });
});
