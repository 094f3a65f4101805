import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuditBuffer, recordAudit, recordAuditMany, verifyAuditChain } from '../../src/modules/audit/audit.js';
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
