import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { openStore, redactUrl } from './database.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

/**
 * Two database roles on PostgreSQL (issue 7 §5; docs/database-roles.md): the owner (migration) role owns the schema,
 * the application role (DATABASE_URL) only uses it. This file grants the application role what it needs — and for
 * the audit log no more than SELECT/INSERT — after each migration run, and reports how the audit log is guarded.
 */

/** A PostgreSQL role name we are willing to put into GRANT statements (quoted anyway). */
const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

export class RoleSetupError extends Error {
  constructor(zh: string, en: string) {
    super(`${zh} / ${en}`);
    this.name = 'RoleSetupError';
  }
}

const Env = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  BDCERT_MIGRATION_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'a PostgreSQL URL of the owner (migration) role, e.g. postgres://bdcert_owner@db/bdcert',
    )
    .optional(),
  BDCERT_DB_APP_ROLE: z.string().regex(ROLE_NAME, 'a PostgreSQL role name, e.g. bdcert_app').optional(),
});

export interface OwnerMigration {
  /** The owner (migration) role's URL. */
  readonly ownerUrl: string;
  /** The role the application connects as (granted after migrating). */
  readonly appRole: string;
}

/**
 * `BDCERT_MIGRATION_DATABASE_URL` (the owner) with the application role taken from `BDCERT_DB_APP_ROLE` or else the
 * user of `DATABASE_URL`; undefined when no owner URL is set (single-role or embedded database).
 */
export function ownerMigrationFromEnv(env: NodeJS.ProcessEnv = process.env): OwnerMigration | undefined {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new RoleSetupError(`数据库角色配置有误：${String(i?.path[0])}`, `${String(i?.path[0])}: ${i?.message}`);
  }
  const e = parsed.data;
  if (!e.BDCERT_MIGRATION_DATABASE_URL) return undefined;
  if (!e.DATABASE_URL)
    throw new RoleSetupError(
      '设置了 BDCERT_MIGRATION_DATABASE_URL 时须同时设置应用的 DATABASE_URL',
      'BDCERT_MIGRATION_DATABASE_URL needs DATABASE_URL (the application role) as well',
    );
  let fromUrl = '';
  try {
    fromUrl = decodeURIComponent(new URL(e.DATABASE_URL).username);
  } catch {
    fromUrl = '';
  }
  const appRole = e.BDCERT_DB_APP_ROLE ?? fromUrl;
  if (!appRole || !ROLE_NAME.test(appRole))
    throw new RoleSetupError(
      '无法确定应用数据库角色：请在 DATABASE_URL 中写明用户名或设置 BDCERT_DB_APP_ROLE',
      'cannot tell the application role: name the user in DATABASE_URL or set BDCERT_DB_APP_ROLE',
    );
  return { ownerUrl: e.BDCERT_MIGRATION_DATABASE_URL, appRole };
}

/**
 * Grants the application role its privileges; run as the owner after `migrateToLatest` (idempotent). Public tables:
 * SELECT/INSERT/UPDATE/DELETE and sequence use (also for tables later migrations add, through default privileges).
 * Audit: SELECT/INSERT on `audit.entries`, SELECT on `audit.anchors`, EXECUTE on the retention function — never
 * UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER or a grant option.
 */
export async function grantApplicationRole(db: Kysely<Database>, appRole: string): Promise<void> {
  if (!ROLE_NAME.test(appRole)) throw new RoleSetupError('应用数据库角色名无效', `invalid role name ${appRole}`);
  const who = await sql<{ me: string; exists: boolean; super: boolean | null; owns_audit: boolean }>`select
      current_user as me,
      exists (select 1 from pg_roles where rolname = ${appRole}) as exists,
      (select rolsuper from pg_roles where rolname = ${appRole}) as super,
      (select pg_get_userbyid(nspowner) = ${appRole} from pg_namespace where nspname = 'audit') as owns_audit`.execute(
    db,
  );
  const w = who.rows[0];
  if (!w?.exists)
    throw new RoleSetupError(`应用数据库角色 ${appRole} 不存在`, `the application role ${appRole} does not exist`);
  if (w.me === appRole || w.owns_audit)
    throw new RoleSetupError(
      '应用数据库角色不能是表的所有者（迁移角色），否则可关闭触发器、给自己授权',
      'the application role must not be the owner (migration) role: an owner can disable triggers and grant itself anything',
    );
  if (w.super)
    throw new RoleSetupError(
      `应用数据库角色 ${appRole} 是超级用户，权限限制对其无效`,
      `the application role ${appRole} is a superuser; privileges do not bind it`,
    );
  const role = sql.id(appRole);
  const statements = [
    sql`grant usage on schema public to ${role}`,
    sql`grant select, insert, update, delete on all tables in schema public to ${role}`,
    sql`grant usage, select, update on all sequences in schema public to ${role}`,
    sql`alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`,
    sql`alter default privileges in schema public grant usage, select, update on sequences to ${role}`,
    // Which migrations ran is the owner's record; the application only reads it (Kysely's check at start).
    sql`revoke insert, update, delete on kysely_migration, kysely_migration_lock from ${role}`,
    // The audit log: append and read only (issue 7 §5). REVOKE first so a privilege granted by hand does not linger.
    sql`revoke all on schema audit from ${role}`,
    sql`grant usage on schema audit to ${role}`,
    sql`revoke all on audit.entries, audit.anchors from ${role}`,
    sql`grant select, insert on audit.entries to ${role}`,
    sql`grant select on audit.anchors to ${role}`,
    sql`revoke all on all sequences in schema audit from ${role}`,
    sql`grant usage on sequence audit.entries_seq_seq to ${role}`,
    sql`revoke all on all functions in schema audit from ${role}`,
    sql`grant execute on function audit.prune_before(timestamptz) to ${role}`,
  ];
  await db.transaction().execute(async (trx) => {
    for (const s of statements) await s.execute(trx);
  });
}

/** Migrates as the owner and grants the application role (`bdcert migrate`, and `bdcert start` before it opens). */
export async function migrateAsOwner(o: OwnerMigration): Promise<{ applied: string[]; owner: string }> {
  const store = await openStore({ databaseUrl: o.ownerUrl, poolSize: 2 });
  try {
    const r = await migrateToLatest(store.db);
    await grantApplicationRole(store.db, o.appRole);
    return {
      applied: (r.results ?? []).filter((x) => x.status === 'Success').map((x) => x.migrationName),
      owner: redactUrl(o.ownerUrl),
    };
  } finally {
    await store.close();
  }
}

export interface AuditGuard {
  /** The role this connection runs as. */
  readonly role: string;
  readonly superuser: boolean;
  /** Owner of `audit.entries`. */
  readonly owner: string;
  /** What this connection could do to the log if it tried. */
  readonly canUpdate: boolean;
  readonly canDelete: boolean;
  readonly canTruncate: boolean;
  /**
   * `privileges`: a non-owner without UPDATE/DELETE/TRUNCATE (the intended PostgreSQL setup); `trigger-only`: this
   * role owns the log or is a superuser (PGlite, or a single-role PostgreSQL), so only the triggers stand in the way.
   */
  readonly enforcedBy: 'privileges' | 'trigger-only';
}

/** How the audit log is protected against this connection (for the start-up warning and `bdcert check`). */
export async function auditGuard(db: Kysely<Database>): Promise<AuditGuard> {
  const r = await sql<{
    role: string;
    superuser: boolean;
    owner: string;
    upd: boolean;
    del: boolean;
    trunc: boolean;
  }>`select current_user as role,
      (select rolsuper from pg_roles where rolname = current_user) as superuser,
      pg_get_userbyid(c.relowner) as owner,
      has_table_privilege(c.oid, 'UPDATE') as upd,
      has_table_privilege(c.oid, 'DELETE') as del,
      has_table_privilege(c.oid, 'TRUNCATE') as trunc
    from pg_class c where c.oid = 'audit.entries'::regclass`.execute(db);
  const g = r.rows[0];
  if (!g) throw new Error('audit.entries is missing: run the migrations');
  const ownerOrSuper = g.superuser || g.owner === g.role;
  return {
    role: g.role,
    superuser: g.superuser,
    owner: g.owner,
    canUpdate: g.upd,
    canDelete: g.del,
    canTruncate: g.trunc,
    enforcedBy: ownerOrSuper || g.upd || g.del || g.trunc ? 'trigger-only' : 'privileges',
  };
}
