import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  AuditBuffer,
  type AuditBufferOptions,
  type AuditSink,
  verifyAuditChain,
} from '../../src/modules/audit/audit.js';
import { AuditWriterThread } from '../../src/modules/audit/audit-writer-thread.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

const actor = { kind: 'anonymous' } as const;
const hit = (i: number) => ({ actor, action: 'verify.public', certificateId: `D${i}`, result: 'success' as const });
const until = async (cond: () => Promise<boolean>, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('condition not reached in time');
};

type Sink = (store: TestStore, opts: Omit<AuditBufferOptions, 'onWritten'>) => AuditSink;
/** The two sinks public verification uses: in this thread (any backend), on a writer thread (PostgreSQL server). */
const SINKS: [string, Sink][] = [
  ['AuditBuffer', (store, opts) => new AuditBuffer(store.db, opts)],
  ...(TEST_BACKEND === 'postgres'
    ? [
        [
          'AuditWriterThread',
          (store: TestStore, opts: Omit<AuditBufferOptions, 'onWritten'>) =>
            new AuditWriterThread({ ...opts, databaseUrl: store.url ?? '' }),
        ] as [string, Sink],
      ]
    : []),
];

/** Public verification hits are audited through a buffer: a database that refuses writes must not lose any. */
for (const [name, sink] of SINKS)
  describe(`[${TEST_BACKEND}] ${name} keeps every entry through database failures`, () => {
    let store: TestStore;
    before(async () => {
      store = await openTestStore();
    });
    after(async () => store.dispose());
    const written = async () =>
      (
        await store.db
          .selectFrom('audit.entries')
          .select('certificate_id')
          .where('certificate_id', 'like', 'D%')
          .orderBy('seq')
          .execute()
      ).map((r) => r.certificate_id);
    // A real failure: the table is away for a while (renamed), as during a failover or a lock timeout.
    const breakTable = () => sql`alter table audit.entries rename to entries_away`.execute(store.db);
    const repairTable = () => sql`alter table audit.entries_away rename to entries`.execute(store.db);

    test('a refused batch is retried, in order, until the database takes it; accepting stops at maxPending', async () => {
      const errors: unknown[] = [];
      const buf = sink(store, {
        intervalMs: 10,
        maxBatch: 3,
        maxPending: 8,
        maxRetryMs: 40,
        onError: (e) => errors.push(e),
      });
      await breakTable();
      for (let i = 0; i < 5; i++) buf.add(hit(i));
      await until(async () => errors.length >= 2); // retried at least once, still failing
      assert.equal(buf.accepting, true);
      for (let i = 5; i < 8; i++) buf.add(hit(i));
      assert.equal(buf.accepting, false, 'maxPending entries wait: the caller must refuse the access');
      assert.equal(buf.waiting, 8);
      await repairTable();
      await until(async () => (await written()).length === 8);
      assert.deepEqual(await written(), ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7']);
      assert.equal(buf.accepting, true);
      assert.equal(await buf.close(), 0);
      assert.equal((await verifyAuditChain(store.db)).ok, true);
    });

    test('close() reports what it could not write when the database stays away', async () => {
      const buf = sink(store, { intervalMs: 10, maxRetryMs: 20, onError: () => {} });
      await breakTable();
      try {
        buf.add(hit(100));
        buf.add(hit(101));
        assert.equal(await buf.close(), 2);
        assert.equal(buf.accepting, false, 'a closed buffer takes nothing more');
      } finally {
        await repairTable();
      }
      assert.equal((await written()).length, 8, 'nothing half-written');
    });
  });
