import { type Kysely, sql } from 'kysely';

/**
 * The audit log (issue 7 §5; Huangchuan 5.2.4–5.2.5: every change and service call logged and stored independently;
 * Nanyang Art. 17: access logs kept at least 10 years): its own schema `audit`, SM3 hash-chained rows, no UPDATE ever,
 * no DELETE of rows younger than 10 years — enforced by a trigger on both backends, and by REVOKE on PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create schema if not exists audit`.execute(db);
  await sql`
    create table audit.entries (
      seq bigserial primary key,
      id uuid not null unique,
      at timestamptz not null,
      actor_kind text not null,
      actor_id text,
      actor_agency_id text,
      action text not null,
      object_type text,
      object_id text,
      certificate_id text,
      issuing_agency_id text,
      holder_key text,
      purpose text,
      case_no text,
      result text not null check (result in ('success', 'denied', 'error')),
      reason text,
      client_id text,
      ip text,
      request_id text,
      details jsonb,
      prev_hash text not null,
      hash text not null
    )`.execute(db);
  await sql`create index entries_certificate_idx on audit.entries (certificate_id, seq) where certificate_id is not null`.execute(
    db,
  );
  await sql`create index entries_issuer_idx on audit.entries (issuing_agency_id, at) where issuing_agency_id is not null`.execute(
    db,
  );
  await sql`create index entries_at_idx on audit.entries (at)`.execute(db);
  // Failed sign-ins per source address (throttling password spraying across accounts).
  await sql`create index entries_auth_denied_ip_idx on audit.entries (ip, at)
    where result = 'denied' and action in ('auth.login', 'auth.totp', 'auth.holder-login')`.execute(db);
  // Pruned heads: when the retention job removes entries older than 10 years, the hash of the last removed row is
  // kept here so the remaining chain still verifies from a known anchor.
  await sql`
    create table audit.anchors (
      up_to_seq bigint primary key,
      hash text not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create function audit.refuse_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and old.at < now() - interval '10 years' then
        return old;
      end if;
      raise exception 'audit.entries is append-only (% refused) / 审计日志只能追加', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`create trigger entries_no_update before update on audit.entries for each row execute function audit.refuse_change()`.execute(
    db,
  );
  await sql`create trigger entries_no_delete before delete on audit.entries for each row execute function audit.refuse_change()`.execute(
    db,
  );
  await sql`
    create function audit.refuse_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'audit.entries cannot be truncated / 审计日志不可清空' using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`create trigger entries_no_truncate before truncate on audit.entries for each statement execute function audit.refuse_truncate()`.execute(
    db,
  );
  // Take UPDATE, DELETE and TRUNCATE away from everyone, including the (non-superuser) role that runs the migrations
  // and the application; a superuser keeps them, which is why the trigger above exists too. The retention job grants
  // DELETE to itself inside its own transaction only (pruneAudit), and the trigger still refuses rows < 10 years.
  await sql`revoke update, delete, truncate on audit.entries from public`.execute(db);
  await sql`
    do $$
    begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        execute 'revoke update, delete, truncate on audit.entries from ' || quote_ident(current_user);
      end if;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema audit cascade`.execute(db);
}
