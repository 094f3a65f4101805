import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { AuditRetentionError, pruneAudit, recordAudit, verifyAuditChain } from '../../src/modules/audit/audit.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import {
  auditGuard,
  grantApplicationRole,
  migrateAsOwner,
  ownerMigrationFromEnv,
  RoleSetupError,
} from '../../src/store/roles.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

const actor = { kind: 'system', id: 'test' } as const;
/** A date `years` years before now (the database's retention check uses its own clock, so these follow it). */
const yearsAgo = (years: number, days = 0) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return new Date(d.getTime() - days * 86400_000);
};

describe(`[${TEST_BACKEND}] audit retention (Nanyang Art. 17: at least 10 years)`, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore();
  });
  after(async () => store.dispose());

  test('only entries older than 10 years go, through audit.prune_before; the chain still verifies from the anchor', async () => {
    for (const years of [13, 12, 11, 6, 0])
      await recordAudit(store.db, { actor, action: 'x.old', result: 'success', at: yearsAgo(years) });
    // The database itself refuses a young row even when the application check is bypassed (the trigger: the only
    // guard on PGlite, whose single role is a superuser).
    await assert.rejects(sql`delete from audit.entries where at > ${yearsAgo(7)}`.execute(store.db), /append-only/);
    // The retention function refuses a cut-off younger than 10 years by the database's clock …
    await assert.rejects(sql`select audit.prune_before(${yearsAgo(9)})`.execute(store.db), /at least 10 years/);
    // … and so does the application, before asking.
    await assert.rejects(pruneAudit(store.db, yearsAgo(9)), AuditRetentionError);
    const removed = await pruneAudit(store.db, yearsAgo(10, 30));
    assert.equal(removed, 3);
    const v = await verifyAuditChain(store.db);
    assert.equal(v.ok, true, JSON.stringify(v.findings));
    assert.equal(v.rows, 2);
    const anchors = await store.db.selectFrom('audit.anchors').selectAll().execute();
    assert.equal(anchors.length, 1);
    assert.equal(await pruneAudit(store.db, yearsAgo(10, 30)), 0, 'nothing more to remove');
    await recordAudit(store.db, { actor, action: 'x.new', result: 'success' });
    assert.equal((await verifyAuditChain(store.db)).ok, true);
  });

  test(`the guard is reported: ${TEST_BACKEND === 'pglite' ? 'PGlite (one superuser) relies on the triggers' : 'the test superuser relies on the triggers'}`, async () => {
    const g = await auditGuard(store.db);
    assert.equal(g.enforcedBy, 'trigger-only');
    assert.equal(g.superuser, true);
  });
});

describe(`[${TEST_BACKEND}] audit privileges with an owner role and an application role`, () => {
  const admin = process.env.BDCERT_TEST_PG_URL;
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const owner = `bdcert_owner_${suffix}`;
  const appRole = `bdcert_app_${suffix}`;
  const dbName = `bdcert_t_roles_${suffix}`;
  const ownerPw = randomBytes(12).toString('hex');
  const appPw = randomBytes(12).toString('hex');
  let c: pg.Client | undefined;
  let app: Store | undefined;
  const url = (role: string, password: string) => {
    const u = new URL(admin ?? 'postgres://x@127.0.0.1/x');
    u.username = role;
    u.password = password;
    u.pathname = `/${dbName}`;
    return u.toString();
  };

  before(async () => {
    if (!admin) return;
    c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`create role ${owner} login password '${ownerPw}'`);
    await c.query(`create role ${appRole} login password '${appPw}'`);
    await c.query(`create database ${dbName} owner ${owner}`);
    // What a deployment runs: `bdcert migrate` with BDCERT_MIGRATION_DATABASE_URL (owner) and DATABASE_URL (app).
    const o = ownerMigrationFromEnv({
      BDCERT_MIGRATION_DATABASE_URL: url(owner, ownerPw),
      DATABASE_URL: url(appRole, appPw),
    });
    assert.equal(o?.appRole, appRole);
    await migrateAsOwner(o!);
    app = await openStore({ databaseUrl: url(appRole, appPw), poolSize: 2 });
  });
  after(async () => {
    await app?.close();
    if (!c) return;
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.query(`drop role if exists ${appRole}`);
    await c.query(`drop role if exists ${owner}`);
    await c.end();
  });

  const skip = (t: { skip(m: string): void }) => {
    if (admin && app) return false;
    t.skip('PostgreSQL only: PGlite has a single superuser role (the trigger guards it, tested above)');
    return true;
  };

  test('the application role appends and reads; it has no UPDATE, DELETE or TRUNCATE, and no anchor writes', async (t) => {
    if (skip(t) || !app) return;
    await recordAudit(app.db, { actor, action: 'x.old', result: 'success', at: yearsAgo(12) });
    await recordAudit(app.db, { actor, action: 'x.new', result: 'success' });
    assert.equal((await verifyAuditChain(app.db)).ok, true);
    const priv = await sql<Record<string, boolean>>`select
        has_table_privilege('audit.entries', 'SELECT') as sel,
        has_table_privilege('audit.entries', 'INSERT') as ins,
        has_table_privilege('audit.entries', 'UPDATE') as upd,
        has_table_privilege('audit.entries', 'DELETE') as del,
        has_table_privilege('audit.entries', 'TRUNCATE') as trunc,
        has_table_privilege('audit.entries', 'TRIGGER') as trig,
        has_table_privilege('audit.anchors', 'INSERT') as anchor_ins,
        has_table_privilege('audit.anchors', 'DELETE') as anchor_del,
        has_schema_privilege('audit', 'CREATE') as schema_create`.execute(app.db);
    assert.deepEqual(priv.rows[0], {
      sel: true,
      ins: true,
      upd: false,
      del: false,
      trunc: false,
      trig: false,
      anchor_ins: false,
      anchor_del: false,
      schema_create: false,
    });
    await assert.rejects(sql`update audit.entries set purpose = 'x'`.execute(app.db), /permission denied/);
    await assert.rejects(sql`delete from audit.entries`.execute(app.db), /permission denied/);
    await assert.rejects(sql`truncate audit.entries`.execute(app.db), /permission denied/);
    await assert.rejects(
      sql`insert into audit.anchors (up_to_seq, hash) values (999, 'x')`.execute(app.db),
      /permission denied/,
    );
    assert.equal((await auditGuard(app.db)).enforcedBy, 'privileges');
  });

  test('the application role cannot disable the trigger, drop it, replace the function or grant itself anything', async (t) => {
    if (skip(t) || !app) return;
    const db = app.db;
    await assert.rejects(sql`alter table audit.entries disable trigger user`.execute(db), /must be owner/);
    await assert.rejects(sql`drop trigger entries_no_update on audit.entries`.execute(db), /must be owner/);
    await assert.rejects(
      sql`create or replace function audit.prune_before(cutoff timestamptz) returns bigint language sql as 'select 0::bigint'`.execute(
        db,
      ),
      /must be owner|permission denied/,
    );
    await assert.rejects(sql`alter table audit.entries owner to current_user`.execute(db), /must be owner/);
    // GRANT without a grant option: PostgreSQL refuses (or grants nothing); either way no privilege appears.
    for (const stmt of [
      sql`grant delete, update, truncate on audit.entries to current_user`,
      sql`grant all on schema audit to current_user`,
    ])
      await stmt.execute(db).catch(() => undefined);
    const after = await sql<{ del: boolean; upd: boolean; create: boolean }>`select
        has_table_privilege('audit.entries', 'DELETE') as del,
        has_table_privilege('audit.entries', 'UPDATE') as upd,
        has_schema_privilege('audit', 'CREATE') as create`.execute(db);
    assert.deepEqual(after.rows[0], { del: false, upd: false, create: false });
    await assert.rejects(sql`update audit.entries set purpose = 'x'`.execute(db), /permission denied/);
  });

  test('retention through the owner’s function removes only entries past 10 years, and nothing younger', async (t) => {
    if (skip(t) || !app) return;
    const db = app.db;
    await assert.rejects(sql`select audit.prune_before(${yearsAgo(9)})`.execute(db), /at least 10 years/);
    await assert.rejects(sql`select audit.prune_before(now())`.execute(db), /at least 10 years/);
    const before = await db.selectFrom('audit.entries').select('at').execute();
    const old = before.filter((r) => new Date(r.at).getTime() < yearsAgo(10).getTime()).length;
    assert.ok(old >= 1);
    assert.equal(await pruneAudit(db, yearsAgo(10, 1)), old);
    const left = await db.selectFrom('audit.entries').select('at').execute();
    assert.equal(left.length, before.length - old);
    assert.ok(left.every((r) => new Date(r.at).getTime() >= yearsAgo(10, 1).getTime()));
    assert.equal((await verifyAuditChain(db)).ok, true);
    const still = await sql<{ del: boolean }>`select has_table_privilege('audit.entries', 'DELETE') as del`.execute(db);
    assert.equal(still.rows[0]?.del, false, 'the function gives the caller no privilege');
  });

  test('the application role runs the app: public tables, an up-to-date migration check; the owner is refused as app role', async (t) => {
    if (skip(t) || !app) return;
    await app.db.insertInto('app_meta').values({ key: 'probe', value: '1' }).execute();
    await app.db.updateTable('app_meta').set({ value: '2' }).where('key', '=', 'probe').execute();
    await app.db.deleteFrom('app_meta').where('key', '=', 'probe').execute();
    // `bdcert start` with only DATABASE_URL after the owner migrated: nothing to do, no privilege needed.
    const r = await migrateToLatest(app.db);
    assert.deepEqual(r.results, []);
    const o = await openStore({ databaseUrl: url(owner, ownerPw), poolSize: 1 });
    try {
      await assert.rejects(grantApplicationRole(o.db, owner), RoleSetupError);
      assert.equal((await auditGuard(o.db)).enforcedBy, 'trigger-only');
    } finally {
      await o.close();
    }
  });

  test('configuration: the owner URL needs an application URL; the application role defaults to its user', () => {
    assert.equal(ownerMigrationFromEnv({ DATABASE_URL: 'postgres://app@db/x' }), undefined);
    assert.throws(
      () => ownerMigrationFromEnv({ BDCERT_MIGRATION_DATABASE_URL: 'postgres://owner@db/x' }),
      RoleSetupError,
    );
    assert.equal(
      ownerMigrationFromEnv({
        BDCERT_MIGRATION_DATABASE_URL: 'postgres://owner@db/x',
        DATABASE_URL: 'postgres://bdcert_app:pw@db/x',
      })?.appRole,
      'bdcert_app',
    );
    assert.equal(
      ownerMigrationFromEnv({
        BDCERT_MIGRATION_DATABASE_URL: 'postgres://owner@db/x',
        DATABASE_URL: 'postgres://db/x',
        BDCERT_DB_APP_ROLE: 'svc_bdcert',
      })?.appRole,
      'svc_bdcert',
    );
    assert.throws(
      () =>
        ownerMigrationFromEnv({
          BDCERT_MIGRATION_DATABASE_URL: 'postgres://owner@db/x',
          DATABASE_URL: 'postgres://db/x',
        }),
      RoleSetupError,
    );
  });
});
