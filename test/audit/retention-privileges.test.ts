import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { AuditRetentionError, pruneAudit, recordAudit, verifyAuditChain } from '../../src/modules/audit/audit.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

const actor = { kind: 'system', id: 'test' } as const;

describe(`[${TEST_BACKEND}] audit retention (Nanyang Art. 17: at least 10 years)`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  test('only entries older than 10 years go; the chain still verifies from the kept anchor', async () => {
    for (const year of [2013, 2014, 2015, 2020, 2026])
      await recordAudit(store.db, {
        actor,
        action: 'x.old',
        result: 'success',
        at: new Date(`${year}-06-01T00:00:00Z`),
      });
    const now = new Date('2026-11-22T00:00:00Z');
    // The database itself refuses a young row even when the application check is bypassed.
    await assert.rejects(sql`delete from audit.entries where at > '2020-01-01'`.execute(store.db), /append-only/);
    await assert.rejects(pruneAudit(store.db, new Date('2017-01-01T00:00:00Z'), now), AuditRetentionError);
    const removed = await pruneAudit(store.db, new Date('2016-01-01T00:00:00Z'), now);
    assert.equal(removed, 3);
    const v = await verifyAuditChain(store.db);
    assert.equal(v.ok, true, JSON.stringify(v.findings));
    assert.equal(v.rows, 2);
    // New entries continue the chain.
    await recordAudit(store.db, { actor, action: 'x.new', result: 'success' });
    assert.equal((await verifyAuditChain(store.db)).ok, true);
  });
});

describe(`[${TEST_BACKEND}] audit privileges of the application role`, () => {
  test('a non-superuser application role that ran the migrations has no UPDATE, DELETE or TRUNCATE on audit.entries', async (t) => {
    const admin = process.env.BDCERT_TEST_PG_URL;
    if (!admin) {
      t.skip('PostgreSQL only: PGlite has a single superuser role (the trigger guards it, tested above)');
      return;
    }
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const role = `bdcert_app_${suffix}`;
    const dbName = `bdcert_t_priv_${suffix}`;
    const password = randomBytes(12).toString('hex');
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(`create role ${role} login password '${password}'`);
      await c.query(`create database ${dbName} owner ${role}`);
      const u = new URL(admin);
      u.username = role;
      u.password = password;
      u.pathname = `/${dbName}`;
      const store = await openStore({ databaseUrl: u.toString(), poolSize: 2 });
      try {
        await migrateToLatest(store.db);
        await recordAudit(store.db, {
          actor,
          action: 'x.old',
          result: 'success',
          at: new Date('2014-01-01T00:00:00Z'),
        });
        await recordAudit(store.db, { actor, action: 'x', result: 'success' });
        const priv = await sql<{ upd: boolean; del: boolean; trunc: boolean; ins: boolean }>`select
          has_table_privilege('audit.entries', 'UPDATE') as upd,
          has_table_privilege('audit.entries', 'DELETE') as del,
          has_table_privilege('audit.entries', 'TRUNCATE') as trunc,
          has_table_privilege('audit.entries', 'INSERT') as ins`.execute(store.db);
        assert.deepEqual(priv.rows[0], { upd: false, del: false, trunc: false, ins: true });
        // Even with the trigger off (as its owner can do), the privilege check stops the change.
        await sql`alter table audit.entries disable trigger user`.execute(store.db);
        await assert.rejects(sql`update audit.entries set purpose = 'x'`.execute(store.db), /permission denied/);
        await assert.rejects(sql`truncate audit.entries`.execute(store.db), /permission denied/);
        await assert.rejects(sql`delete from audit.entries`.execute(store.db), /permission denied/);
        await sql`alter table audit.entries enable trigger user`.execute(store.db);
        // The retention job still works for entries past 10 years, and still refuses younger ones.
        assert.equal(await pruneAudit(store.db, new Date('2016-01-01T00:00:00Z'), new Date('2026-11-22T00:00:00Z')), 1);
        assert.equal((await verifyAuditChain(store.db)).ok, true);
        const again = await sql<{ del: boolean }>`select has_table_privilege('audit.entries', 'DELETE') as del`.execute(
          store.db,
        );
        assert.equal(again.rows[0]?.del, false, 'the retention grant does not outlive its transaction');
      } finally {
        await store.close();
      }
    } finally {
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.query(`drop role if exists ${role}`);
      await c.end();
    }
  });
});
