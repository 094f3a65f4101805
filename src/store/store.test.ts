import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabaseUrl, openTestStore, TEST_BACKEND, type TestStore } from '../../test/support/store.js';
import { openStore } from './database.js';
import { migrateToLatest } from './migrate.js';
import { appendOutbox } from './outbox.js';

describe(`store [${TEST_BACKEND}]`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => {
    await store.dispose();
  });

  test('ping answers and the backend is the one asked for', async () => {
    assert.equal(await store.ping(), true);
    assert.equal(store.kind, TEST_BACKEND);
    const v = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(store.db);
    assert.match(v.rows[0]!.v, /^\d+/);
  });

  test('migrations are idempotent', async () => {
    const again = await migrateToLatest(store.db);
    assert.deepEqual(again.results, []);
  });

  test('a failed transaction leaves nothing behind; a committed one keeps outbox and change together', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('app_meta').values({ key: 'rollback-probe', value: '1' }).execute();
        await appendOutbox(trx, { aggregateType: 't', aggregateId: 'x', eventType: 'probe', payload: { a: 1 } });
        throw new Error('boom');
      }),
      /boom/,
    );
    const none = await store.db.selectFrom('app_meta').where('key', '=', 'rollback-probe').selectAll().execute();
    assert.equal(none.length, 0);
    const noEvents = await store.db.selectFrom('outbox').where('aggregate_id', '=', 'x').selectAll().execute();
    assert.equal(noEvents.length, 0);

    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('app_meta').values({ key: 'commit-probe', value: '1' }).execute();
      await appendOutbox(trx, { aggregateType: 't', aggregateId: 'y', eventType: 'probe', payload: { zh: '不动产' } });
    });
    const ev = await store.db
      .selectFrom('outbox')
      .where('aggregate_id', '=', 'y')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.deepEqual(ev.payload, { zh: '不动产' });
    assert.ok(ev.created_at instanceof Date);
  });
});

describe('store [pglite on disk]', () => {
  test('data survives close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-store-'));
    try {
      const a = await openStore({ dataDir: dir });
      await migrateToLatest(a.db);
      await a.db.insertInto('app_meta').values({ key: 'k', value: '值' }).execute();
      await a.close();
      const b = await openStore({ dataDir: dir });
      const row = await b.db.selectFrom('app_meta').selectAll().where('key', '=', 'k').executeTakeFirst();
      assert.equal(row?.value, '值');
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`store [${TEST_BACKEND}] lost connections`, () => {
  test('an idle connection the server terminates is reported, not thrown; the next query reconnects; close() waits for every socket', async (t) => {
    const admin = process.env.BDCERT_TEST_PG_URL;
    if (!admin) {
      t.skip('PostgreSQL only: PGlite is in-process, its one connection cannot be terminated by a server');
      return;
    }
    const pgdb = await createTestDatabaseUrl();
    assert.ok(pgdb);
    const lost: Error[] = [];
    const s = await openStore({ databaseUrl: pgdb.url, poolSize: 3, onConnectionError: (e) => lost.push(e) });
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    const dbName = new URL(pgdb.url).pathname.slice(1);
    try {
      // Three connections in the pool, all idle afterwards.
      await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(s.db)));
      const killed = await c.query(
        'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1) k',
        [dbName],
      );
      assert.equal(killed.rows[0]?.n, 3);
      for (let i = 0; i < 50 && lost.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(lost.length, 3, 'each terminated idle connection reaches onConnectionError');
      assert.match(lost[0]!.message, /terminat/);
      assert.equal(await s.ping(), true, 'a new connection serves the next query');
    } finally {
      await s.close();
      const left = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [dbName]);
      assert.equal(left.rows[0]?.n, 0, 'close() returned with no connection left on the server');
      await c.end();
      await pgdb.drop();
    }
  });
});
