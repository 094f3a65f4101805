import { type Kysely, sql } from 'kysely';

/**
 * Audit privileges that mean something (issue 7 §5: append-only, no UPDATE/DELETE privilege for the application's
 * database role on PostgreSQL; Nanyang Art. 17: access logs kept at least 10 years), and the step-up column for batch
 * sealing (issue 8; Henan 三(一)5).
 *
 * The database is meant to be run with two roles (docs/database-roles.md):
 * - the **owner** (migration) role runs this migration set, so it owns every table, the `audit` schema and the
 *   retention function below;
 * - the **application** role (DATABASE_URL) gets DML on the public tables and only SELECT/INSERT on `audit.entries`
 *   and SELECT on `audit.anchors` — granted by `grantApplicationRole` (src/store/roles.ts) after every migration run,
 *   because the role's name is deployment configuration, not schema.
 * Not being the owner, the application role cannot disable the triggers, re-grant itself or alter the tables; the
 * only way it can remove entries is `audit.prune_before`, which refuses anything younger than 10 years.
 *
 * PGlite has one superuser role: there the triggers of migration 0004 remain the guard (a superuser bypasses
 * privileges), and this migration only adds the function.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Step-up (issue 8 "confirm with the second factor"): a session is elevated until this instant after a fresh TOTP
  // code (or, in demo mode for accounts without TOTP, the password); batch sealing requires it.
  await sql`alter table sessions add column elevated_until timestamptz`.execute(db);

  // The audit viewer lists an agency's entries: those its staff wrote and those about its certificates.
  await sql`create index entries_actor_agency_idx on audit.entries (actor_agency_id, seq)
    where actor_agency_id is not null`.execute(db);

  // Retention (Nanyang Art. 17: at least 10 years) as the owner: SECURITY DEFINER so the application role needs no
  // DELETE privilege; the search path is pinned so a caller cannot substitute objects (PostgreSQL docs, "Writing
  // SECURITY DEFINER Functions Safely"). Only a prefix of the chain goes, and the hash of its last row becomes the
  // anchor the remaining chain verifies from. The lock key is the chain lock of src/modules/audit/audit.ts.
  await sql`
    create function audit.prune_before(cutoff timestamptz) returns bigint
    language plpgsql
    security definer
    set search_path = pg_catalog, pg_temp
    as $$
    declare
      first_kept bigint;
      last_seq bigint;
      last_hash text;
      removed bigint;
    begin
      if cutoff is null or cutoff > now() - interval '10 years' then
        raise exception '审计日志须保存不少于 10 年，拒绝删除 % 之前的记录 / audit entries are kept at least 10 years; refusing to delete entries before %',
          cutoff, cutoff using errcode = 'insufficient_privilege';
      end if;
      perform pg_advisory_xact_lock(7089075541187823956);
      select e.seq into first_kept from audit.entries e where e.at >= cutoff order by e.seq limit 1;
      select e.seq, e.hash into last_seq, last_hash from audit.entries e
        where e.at < cutoff and (first_kept is null or e.seq < first_kept)
        order by e.seq desc limit 1;
      if last_seq is null then
        return 0;
      end if;
      -- Migration 0004 took DELETE away from the owner too (a guard against slips when working as the owner); the
      -- grant lives only inside this transaction. The row trigger still refuses any row younger than 10 years.
      execute format('grant delete on audit.entries to %I', current_user);
      delete from audit.entries e where e.seq <= last_seq;
      get diagnostics removed = row_count;
      insert into audit.anchors (up_to_seq, hash) values (last_seq, last_hash);
      execute format('revoke delete on audit.entries from %I', current_user);
      return removed;
    end
    $$`.execute(db);
  await sql`revoke all on function audit.prune_before(timestamptz) from public`.execute(db);
  // Nothing in the audit schema is anyone's but the owner's unless granted by name.
  await sql`revoke all on schema audit from public`.execute(db);
  await sql`revoke all on audit.entries, audit.anchors from public`.execute(db);
  await sql`revoke all on function audit.refuse_change(), audit.refuse_truncate() from public`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists audit.prune_before(timestamptz)`.execute(db);
  await sql`drop index if exists audit.entries_actor_agency_idx`.execute(db);
  await sql`alter table sessions drop column if exists elevated_until`.execute(db);
}
