import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { AuditBuffer, recordAudit, recordAuditMany, verifyAuditChain } from '../../src/modules/audit/audit.js';
import { AuditWriterThread } from '../../src/modules/audit/audit-writer-thread.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

const actor = { kind: 'anonymous' } as const;

describe(`[${TEST_BACKEND}] batched audit appends`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  test('recordAuditMany chains the batch in the given order, interleaving with single appends', async () => {
    await recordAudit(store.db, { actor, action: 'a.single', result: 'success' });
    const r = await recordAuditMany(
      store.db,
      ['b1', 'b2', 'b3'].map((caseNo) => ({ actor, action: 'a.batch', caseNo, result: 'success' as const })),
    );
    assert.equal(r.length, 3);
    await recordAudit(store.db, { actor, action: 'a.single', result: 'success' });
    const rows = await store.db.selectFrom('audit.entries').select(['action', 'case_no']).orderBy('seq').execute();
    assert.deepEqual(
      rows.map((x) => x.case_no),
      [null, 'b1', 'b2', 'b3', null],
    );
    assert.equal((await verifyAuditChain(store.db)).ok, true);
  });

  test('every column is stored as given and hashed: quotes, backslashes, control characters, CJK, emoji, details', async () => {
    const awkward = 'a"b\\c\n\td\u2028e 不动产 🏠 \'f\' {"x":1} [1,2] null';
    const entries = [
      {
        actor: { kind: 'staff', id: 'u-1', agencyId: 'ag-1' } as const,
        action: 'share.download',
        objectType: 'certificate',
        objectId: 'o"1',
        certificateId: 'c\\1',
        issuingAgencyId: 'ag-2',
        holderKey: 'hk',
        purpose: awkward,
        caseNo: '潢川2026-001',
        result: 'denied' as const,
        reason: 'NOT_FOUND\n',
        ip: '::1',
        requestId: 'req-1',
        details: { z: awkward, a: [1, 2.5, null, true, { n: '中' }], nested: { b: 'x', a: 'y' } },
      },
      { actor, action: 'verify.public', result: 'success' as const },
    ];
    const [first, second] = await recordAuditMany(store.db, entries);
    const rows = await store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('seq', 'in', [first!.seq, second!.seq])
      .orderBy('seq')
      .execute();
    const [r, bare] = rows;
    assert.ok(r && bare);
    assert.deepEqual(
      [r.actor_kind, r.actor_id, r.actor_agency_id, r.action, r.object_type, r.object_id, r.certificate_id],
      ['staff', 'u-1', 'ag-1', 'share.download', 'certificate', 'o"1', 'c\\1'],
    );
    assert.deepEqual(
      [r.issuing_agency_id, r.holder_key, r.purpose, r.case_no, r.result, r.reason, r.ip, r.request_id],
      ['ag-2', 'hk', awkward, '潢川2026-001', 'denied', 'NOT_FOUND\n', '::1', 'req-1'],
    );
    assert.deepEqual(r.details, entries[0]!.details);
    assert.equal(r.hash, first!.hash);
    // Absent fields are SQL NULL, details included (not a JSON null).
    assert.deepEqual(
      [bare.actor_id, bare.object_id, bare.purpose, bare.ip, bare.details],
      [null, null, null, null, null],
    );
    assert.equal(bare.prev_hash, first!.hash);
    assert.equal((await verifyAuditChain(store.db)).ok, true);
  });

  test('AuditBuffer writes by size or by time, and flush waits for the write', async () => {
    const errors: unknown[] = [];
    const buf = new AuditBuffer(store.db, { intervalMs: 20, maxBatch: 4, onError: (e) => errors.push(e) });
    const count = async () => (await store.db.selectFrom('audit.entries').select('seq').execute()).length;
    const before = await count();
    for (let i = 0; i < 4; i++) buf.add({ actor, action: 'verify.public', certificateId: `C${i}`, result: 'success' });
    await buf.flush(); // the size trigger already started a batch; flush waits for it
    assert.equal(await count(), before + 4);
    buf.add({ actor, action: 'verify.public', certificateId: 'C9', result: 'success' });
    await new Promise((r) => setTimeout(r, 80));
    await buf.flush();
    assert.equal(await count(), before + 5);
    assert.deepEqual(errors, []);
    assert.equal((await verifyAuditChain(store.db)).ok, true);
  });
});

describe(`[${TEST_BACKEND}] the audit writer thread (PostgreSQL server)`, {
  skip: TEST_BACKEND !== 'postgres' && 'PGlite belongs to one thread: the in-thread AuditBuffer is used there',
}, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());
  const ours = async () =>
    (
      await store.db
        .selectFrom('audit.entries')
        .select(['certificate_id', 'at'])
        .where('certificate_id', 'like', 'TO%')
        .orderBy('seq')
        .execute()
    ).map((r) => ({ id: r.certificate_id, at: new Date(r.at).getTime() }));

  test('entries are written in order with the time they were added; flush waits; the chain verifies', async () => {
    const errors: unknown[] = [];
    const w = new AuditWriterThread({
      databaseUrl: store.url ?? '',
      intervalMs: 20,
      maxBatch: 4,
      onError: (e) => errors.push(e),
    });
    try {
      const added = Date.now();
      for (let i = 0; i < 6; i++) w.add({ actor, action: 'verify.public', certificateId: `TO${i}`, result: 'success' });
      assert.equal(w.waiting, 6);
      await new Promise((r) => setTimeout(r, 150)); // the stamp is the add's, not the write's
      w.add({ actor, action: 'verify.public', certificateId: 'TO6', result: 'success' });
      await w.flush();
      assert.equal(w.waiting, 0);
      const rows = await ours();
      assert.deepEqual(
        rows.map((r) => r.id),
        ['TO0', 'TO1', 'TO2', 'TO3', 'TO4', 'TO5', 'TO6'],
      );
      for (const r of rows.slice(0, 6))
        assert.ok(r.at >= added - 1 && r.at < added + 100, `stamped at add: ${r.at - added} ms`);
      assert.ok(rows[6]!.at >= added + 150);
      assert.equal(await w.close(), 0);
      assert.equal(w.accepting, false, 'a closed writer takes nothing more');
      assert.deepEqual(errors, []);
      assert.equal((await verifyAuditChain(store.db)).ok, true);
    } finally {
      await w.close();
    }
  });

  test('a thread that stops is replaced after a pause; what it held is reported lost, the queue is not', async () => {
    const errors: Error[] = [];
    const w = new AuditWriterThread({
      databaseUrl: store.url ?? '',
      intervalMs: 60_000, // entries stay in the thread until flushed
      onError: (e) => errors.push(e as Error),
    });
    const thread = () => (w as unknown as { worker: Worker | undefined }).worker;
    try {
      w.add({ actor, action: 'verify.public', certificateId: 'TL0', result: 'success' });
      w.add({ actor, action: 'verify.public', certificateId: 'TL1', result: 'success' });
      await new Promise((r) => setImmediate(r)); // handed over
      const first = thread();
      assert.ok(first);
      await first.terminate(); // as if the thread had crashed
      await new Promise((r) => setImmediate(r));
      assert.match(errors.map((e) => e.message).join('\n'), /2 entries were not written/);
      assert.equal(w.waiting, 0, 'what the thread held is gone, and said so');
      w.add({ actor, action: 'verify.public', certificateId: 'TL2', result: 'success' });
      await new Promise((r) => setImmediate(r));
      assert.equal(thread(), undefined, 'no new thread before the pause');
      assert.equal(w.waiting, 1, 'the entry waits in the queue');
      await w.flush(); // asked to write: a new thread at once
      assert.notEqual(thread(), first);
      const rows = await store.db
        .selectFrom('audit.entries')
        .select('certificate_id')
        .where('certificate_id', 'like', 'TL%')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.certificate_id),
        ['TL2'],
      );
      assert.equal((await verifyAuditChain(store.db)).ok, true);
    } finally {
      await w.close();
    }
  });

  test('an idle writer does not keep a process alive, a busy one finishes its entries first', () => {
    // A script that adds entries and returns without close(): the process must end by itself, with the entries in.
    const code = `
      import { AuditWriterThread } from './src/modules/audit/audit-writer-thread.ts';
      const w = new AuditWriterThread({ databaseUrl: process.env.U, intervalMs: 200 });
      for (let i = 0; i < 3; i++) w.add({ actor: { kind: 'anonymous' }, action: 'verify.public', certificateId: 'TX' + i, result: 'success' });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, U: store.url },
      timeout: 30_000,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return store.db
      .selectFrom('audit.entries')
      .select('certificate_id')
      .where('certificate_id', 'like', 'TX%')
      .orderBy('seq')
      .execute()
      .then((rows) =>
        assert.deepEqual(
          rows.map((x) => x.certificate_id),
          ['TX0', 'TX1', 'TX2'],
        ),
      );
  });
});
