import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runBatch, startBatch } from '../../src/modules/issuance/sealing.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { OWNER_B, propertyFace, unitNo } from './support.js';

const N = Number(process.env.BDCERT_CONCURRENCY_N ?? 24);

/**
 * Number allocation under concurrent entries (issue 6 §2: unique, never reused, gap-free per agency/year/kind, safe
 * under concurrent entries). On PostgreSQL the requests really overlap (pool of 4 connections); PGlite is one
 * connection, so there they queue — the test runs the same either way.
 */
describe(`concurrent register entries: serials gap-free and unique [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let registrar: string;
  before(async () => {
    fx = await appFixture();
    registrar = (await fx.staff('411526', 'conc-registrar', ['registrar'])).token;
  });
  after(async () => fx.close());

  const post = (
    i: number,
    type: string,
    holder?: typeof OWNER_B,
    businessNo = `CONC2026${type}${String(i).padStart(4, '0')}`,
  ) =>
    fx.app.inject({
      method: 'POST',
      url: '/api/v1/register/entries',
      headers: auth(registrar),
      payload: {
        businessNo,
        registrationType: type,
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo: unitNo(900 + i),
        location: propertyFace(900 + i).location,
        face: propertyFace(900 + i, holder),
      },
    });

  const serials = async () =>
    fx.store.db
      .selectFrom('certificates')
      .select(['serial', 'identifier', 'certificate_no', 'version'])
      .where('year', '=', 2026)
      .where('kind', '=', 'property-certificate')
      .orderBy('serial')
      .execute();

  test(`${N} parallel 首次登记: numbers 1…${N} without gaps or repeats, identifiers unique`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => post(i + 1, '100')));
    for (const r of rs) assert.equal(r.statusCode, 201, r.body);
    const got = await serials();
    assert.deepEqual(
      got.map((c) => c.serial),
      Array.from({ length: N }, (_, i) => i + 1),
    );
    assert.equal(new Set(got.map((c) => c.identifier)).size, N);
    assert.equal(new Set(got.map((c) => c.certificate_no)).size, N);
    const fromResponses = rs.map((r) => r.json().outcome.certificateNo as string).sort();
    assert.deepEqual(fromResponses, got.map((c) => c.certificate_no).sort());
  });

  test('parallel 转移登记 (which cancel and audit before numbering) mixed with 首次登记 and replays: still gap-free', async () => {
    const agencyId = (await fx.agency('411526')).id;
    const b = await startBatch(fx.services.issuance, {
      agencyId,
      trigger: 'clerk',
      actor: { kind: 'system', id: 'test' },
    });
    await runBatch(fx.services.issuance, b.id);
    const half = Math.floor(N / 2);
    const rs = await Promise.all([
      // transfers of the first half (each supersedes an issued certificate: audit + outbox before its number)
      ...Array.from({ length: half }, (_, i) => post(i + 1, '200', OWNER_B)),
      // new units
      ...Array.from({ length: half }, (_, i) => post(N + i + 1, '100')),
      // the same 首次登记 again, concurrently: replays, no new numbers
      ...Array.from({ length: 4 }, (_, i) => post(i + 1, '100')),
      // one 业务号 sent twice at the same time: one records, the other replays
      post(N + half + 1, '100', undefined, 'CONC2026TWICE'),
      post(N + half + 1, '100', undefined, 'CONC2026TWICE'),
    ]);
    const codes = rs.map((r) => r.statusCode);
    assert.ok(
      codes.every((c) => c === 201 || c === 200),
      rs
        .filter((r) => r.statusCode >= 300)
        .map((r) => r.body)
        .join('\n'),
    );
    assert.equal(codes.filter((c) => c === 200).length, 5, '4 replays and the second of the twice-sent');
    const total = N + half + half + 1;
    const got = await serials();
    assert.deepEqual(
      got.map((c) => c.serial),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.equal(new Set(got.map((c) => c.identifier)).size, total);
    const superseded = await fx.store.db
      .selectFrom('certificates')
      .select('id')
      .where('status', '=', 'superseded')
      .execute();
    assert.equal(superseded.length, half);
  });
});
