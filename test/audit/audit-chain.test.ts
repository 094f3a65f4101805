import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  AUDIT_GENESIS,
  AuditRetentionError,
  auditByCertificate,
  auditByIssuer,
  chainHash,
  pruneAudit,
  recordAudit,
  verifyAuditChain,
} from '../../src/modules/audit/audit.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

const actor = { kind: 'institution', id: 'bank-001', clientId: 'bank-001' } as const;

async function seed(store: TestStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await recordAudit(store.db, {
      actor,
      action: 'share.download',
      certificateId: `cert-${i % 3}`,
      issuingAgencyId: i % 2 ? 'agency-b' : 'agency-a',
      purpose: '抵押贷款审批',
      caseNo: `DK-2026-${i}`,
      result: 'success',
      ip: '10.0.0.1',
      requestId: `req-${i}`,
      details: { page: i, z: 'last', a: 'first' },
    });
  }
}

async function withTriggersOff(store: TestStore, fn: () => Promise<unknown>): Promise<void> {
  // What a superuser with direct database access could do; the verifier must still notice.
  await sql`alter table audit.entries disable trigger user`.execute(store.db);
  try {
    await fn();
  } finally {
    await sql`alter table audit.entries enable trigger user`.execute(store.db);
  }
}

describe(`[${TEST_BACKEND}] audit chain`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  test('an empty log verifies; entries chain from GENESIS with SM3', async () => {
    const empty = await verifyAuditChain(store.db);
    assert.equal(empty.ok, true);
    assert.equal(empty.rows, 0);
    await seed(store, 6);
    const rows = await store.db.selectFrom('audit.entries').selectAll().orderBy('seq').execute();
    assert.equal(rows[0]?.prev_hash, AUDIT_GENESIS);
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]?.prev_hash, rows[i - 1]?.hash);
    const r0 = rows[0];
    assert.ok(r0);
    assert.equal(chainHash(r0.prev_hash, { ...r0, at: new Date(r0.at) }), r0.hash);
    assert.match(r0.hash, /^[0-9a-f]{64}$/);
    const v = await verifyAuditChain(store.db, 4); // several batches
    assert.deepEqual(v.findings, []);
    assert.equal(v.rows, 6);
  });

  test('UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await assert.rejects(sql`update audit.entries set purpose = 'x'`.execute(store.db), /append-only/);
    await assert.rejects(sql`delete from audit.entries`.execute(store.db), /append-only/);
    await assert.rejects(sql`truncate audit.entries`.execute(store.db), /cannot be truncated/);
  });

  test('recordAudit inside a rolled-back transaction leaves no entry and no fork', async () => {
    const before = await verifyAuditChain(store.db);
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await recordAudit(trx, { actor, action: 'x.rolled-back', result: 'success' });
        throw new Error('boom');
      }),
      /boom/,
    );
    const after = await verifyAuditChain(store.db);
    assert.equal(after.rows, before.rows);
    assert.equal(after.ok, true);
  });

  test('concurrent writers never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        recordAudit(store.db, { actor, action: 'share.search', result: 'success', caseNo: `C-${i}` }),
      ),
    );
    const v = await verifyAuditChain(store.db);
    assert.equal(v.ok, true, JSON.stringify(v.findings));
  });

  test('queries by certificate and by issuing agency page newest first', async () => {
    const byCert = await auditByCertificate(store.db, 'cert-1', { limit: 1 });
    assert.equal(byCert.items.length, 1);
    assert.equal(byCert.items[0]?.certificateId, 'cert-1');
    assert.ok(byCert.nextBeforeSeq);
    const next = await auditByCertificate(store.db, 'cert-1', { limit: 5, beforeSeq: byCert.nextBeforeSeq });
    assert.ok(next.items.every((e) => BigInt(e.seq) < BigInt(byCert.nextBeforeSeq ?? '0')));
    const byIssuer = await auditByIssuer(store.db, 'agency-b');
    assert.equal(byIssuer.items.length, 3);
    assert.ok(byIssuer.items.every((e) => e.purpose === '抵押贷款审批'));
  });

  test('retention refuses to delete entries younger than 10 years', async () => {
    const now = new Date('2026-11-22T00:00:00Z');
    await assert.rejects(pruneAudit(store.db, new Date('2020-01-01T00:00:00Z'), now), AuditRetentionError);
    // Allowed cut-off, nothing that old: deletes nothing.
    assert.equal(await pruneAudit(store.db, new Date('2016-01-01T00:00:00Z'), now), 0);
  });
});

describe(`[${TEST_BACKEND}] audit tamper detection`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  async function fresh(): Promise<string[]> {
    await withTriggersOff(store, () => sql`delete from audit.entries`.execute(store.db));
    await seed(store, 5);
    const rows = await store.db.selectFrom('audit.entries').select('seq').orderBy('seq').execute();
    return rows.map((r) => r.seq);
  }

  test('a changed row is named', async () => {
    const seqs = await fresh();
    await withTriggersOff(store, () =>
      sql`update audit.entries set purpose = '任意用途' where seq = ${seqs[2]}::bigint`.execute(store.db),
    );
    const v = await verifyAuditChain(store.db);
    assert.equal(v.ok, false);
    assert.deepEqual(v.findings, [{ kind: 'altered', seq: seqs[2] }]);
  });

  test('a deleted row is named by its neighbours', async () => {
    const seqs = await fresh();
    await withTriggersOff(store, () => sql`delete from audit.entries where seq = ${seqs[3]}::bigint`.execute(store.db));
    const v = await verifyAuditChain(store.db);
    assert.deepEqual(v.findings, [{ kind: 'removed', afterSeq: seqs[2], beforeSeq: seqs[4] }]);
  });

  test('an inserted row is named, even with a self-consistent hash', async () => {
    // A gap in seq, as a rolled-back transaction leaves one; the forger fills it with a self-consistent row.
    const seqs2 = await fresh();
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await recordAudit(trx, { actor, action: 'x', result: 'success' });
        throw new Error('rollback');
      }),
    );
    await seed(store, 2);
    const all = await store.db.selectFrom('audit.entries').selectAll().orderBy('seq').execute();
    const gapAfter = all[seqs2.length - 1];
    assert.ok(gapAfter);
    const forgedSeq = String(BigInt(gapAfter.seq) + 1n);
    const at = new Date('2026-11-20T08:00:00.000Z');
    const forged = {
      seq: forgedSeq,
      id: '00000000-0000-4000-8000-000000000001',
      at,
      actor_kind: 'staff',
      actor_id: 'someone',
      actor_agency_id: null,
      action: 'certificate.download',
      object_type: null,
      object_id: null,
      certificate_id: 'cert-1',
      issuing_agency_id: null,
      holder_key: null,
      purpose: '伪造',
      case_no: null,
      result: 'success',
      reason: null,
      client_id: null,
      ip: null,
      request_id: null,
      details: null,
    };
    const hash = chainHash(gapAfter.hash, forged);
    await sql`insert into audit.entries (seq, id, at, actor_kind, actor_id, action, certificate_id, purpose, result,
      prev_hash, hash) values (${forgedSeq}::bigint, ${forged.id}, ${at}, 'staff', 'someone', 'certificate.download',
      'cert-1', '伪造', 'success', ${gapAfter.hash}, ${hash})`.execute(store.db);
    const v = await verifyAuditChain(store.db);
    assert.deepEqual(v.findings, [{ kind: 'inserted', seq: forgedSeq }]);
  });
});
