import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Principal } from '../../domain/access.js';
import type { Database } from '../../store/schema.js';
import type { AuditResult } from './tables.js';

/**
 * The audit log (issue 7 §5). Every change and every data access is one entry, written with `recordAudit` inside the
 * caller's transaction so the change and its entry commit together (Huangchuan 5.2.4; Sichuan Art. 17: full-process
 * logs; Nanyang Art. 17: access logs kept ≥ 10 years and reported to the issuer).
 *
 * Chain: hash = SM3(prev_hash ‖ canonical(row)), the first prev_hash being GENESIS (or a retention anchor). Writers
 * are serialised by a transaction-scoped advisory lock on PostgreSQL; PGlite is one connection, so transactions are
 * serial there already.
 */
export const AUDIT_GENESIS = '0'.repeat(64);
/** pg_advisory_xact_lock key: ASCII "bdcAUDIT" as a signed 64-bit integer. */
const CHAIN_LOCK = sql.lit('7089075541187823956');
/** Nanyang Art. 17: access logs are kept no less than 10 years. */
export const AUDIT_RETENTION_YEARS = 10;

export interface AuditEntryInput {
  /** Who acted; derive with `actorOf(principal)` or give a literal actor (e.g. `{ kind: 'system', id: 'cli' }`). */
  readonly actor: AuditActor;
  /** Dotted verb, e.g. `auth.login`, `certificate.download`, `share.search`. */
  readonly action: string;
  readonly objectType?: string;
  readonly objectId?: string;
  readonly certificateId?: string;
  /** The certificate's issuing agency: the usage report of Nanyang Art. 17 is a query on this. */
  readonly issuingAgencyId?: string;
  /** Keyed hash of the holder concerned (never the ID number itself). */
  readonly holderKey?: string;
  /** 用证事由. */
  readonly purpose?: string;
  /** 业务编号 / case number the use serves. */
  readonly caseNo?: string;
  readonly result: AuditResult;
  /** Why denied/failed: a stable error code. */
  readonly reason?: string;
  readonly ip?: string;
  readonly requestId?: string;
  /** Extra facts; never personal data in the clear. */
  readonly details?: Record<string, unknown>;
  /** Defaults to now. */
  readonly at?: Date;
}

export interface AuditActor {
  readonly kind: 'staff' | 'holder' | 'institution' | 'system' | 'anonymous';
  readonly id?: string;
  readonly agencyId?: string;
  readonly clientId?: string;
}

export function actorOf(p: Principal | undefined): AuditActor {
  if (!p) return { kind: 'anonymous' };
  switch (p.kind) {
    case 'staff':
      return { kind: 'staff', id: p.userId, agencyId: p.agencyId };
    case 'holder':
      return { kind: 'holder', id: p.holderKey };
    case 'institution':
      return { kind: 'institution', id: p.clientId, clientId: p.clientId };
    case 'system':
      return { kind: 'system', id: p.clientId, clientId: p.clientId, ...(p.agencyId ? { agencyId: p.agencyId } : {}) };
  }
}

/** Context of an HTTP request for audit rows: `auditRequest(req)` from a Fastify request. */
export function auditRequest(req: { ip: string; id: string }): { ip: string; requestId: string } {
  return { ip: req.ip, requestId: req.id };
}

/** The row as hashed: fixed field order, ISO time in milliseconds, nulls explicit. */
export interface CanonicalAuditRow {
  seq: string;
  id: string;
  at: Date;
  actor_kind: string;
  actor_id: string | null;
  actor_agency_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  certificate_id: string | null;
  issuing_agency_id: string | null;
  holder_key: string | null;
  purpose: string | null;
  case_no: string | null;
  result: string;
  reason: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: unknown;
}

function stableJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function canonicalAuditRow(r: CanonicalAuditRow): string {
  return stableJson([
    'bdcert-audit-v1',
    String(r.seq),
    r.id,
    r.at.toISOString(),
    r.actor_kind,
    r.actor_id,
    r.actor_agency_id,
    r.action,
    r.object_type,
    r.object_id,
    r.certificate_id,
    r.issuing_agency_id,
    r.holder_key,
    r.purpose,
    r.case_no,
    r.result,
    r.reason,
    r.client_id,
    r.ip,
    r.request_id,
    r.details ?? null,
  ]);
}

export function chainHash(prevHash: string, row: CanonicalAuditRow): string {
  return createHash('sm3').update(prevHash, 'utf8').update(canonicalAuditRow(row), 'utf8').digest('hex');
}

type Db = Kysely<Database> | Transaction<Database>;

/** Appends one entry; inside `trx` when given one (the usual case), else in its own short transaction. */
export async function recordAudit(db: Db, entry: AuditEntryInput): Promise<{ seq: string; hash: string }> {
  const [r] = await recordAuditMany(db, [entry]);
  if (!r) throw new Error('audit: nothing recorded');
  return r;
}

function toRow(seq: string, entry: AuditEntryInput): CanonicalAuditRow {
  const a = entry.actor;
  // Stored time is truncated to milliseconds so it round-trips through JS Date exactly (the hash covers it).
  return {
    seq,
    id: randomUUID(),
    at: new Date(Math.floor((entry.at ?? new Date()).getTime())),
    actor_kind: a.kind,
    actor_id: a.id ?? null,
    actor_agency_id: a.agencyId ?? null,
    action: entry.action,
    object_type: entry.objectType ?? null,
    object_id: entry.objectId ?? null,
    certificate_id: entry.certificateId ?? null,
    issuing_agency_id: entry.issuingAgencyId ?? null,
    holder_key: entry.holderKey ?? null,
    purpose: entry.purpose ?? null,
    case_no: entry.caseNo ?? null,
    result: entry.result,
    reason: entry.reason ?? null,
    client_id: a.clientId ?? null,
    ip: entry.ip ?? null,
    request_id: entry.requestId ?? null,
    details: entry.details ? JSON.parse(stableJson(entry.details)) : null,
  };
}

/**
 * Appends several entries under one chain lock (one round of lock, head read and insert): for bulk writers such as
 * `AuditBuffer`. Order in the chain is the order given.
 */
export async function recordAuditMany(
  db: Db,
  entries: readonly AuditEntryInput[],
): Promise<{ seq: string; hash: string }[]> {
  if (entries.length === 0) return [];
  if (!db.isTransaction) return (db as Kysely<Database>).transaction().execute((trx) => recordAuditMany(trx, entries));
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(db);
  const last = await db.selectFrom('audit.entries').select(['hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let prev = last?.hash ?? (await anchorHash(db)) ?? AUDIT_GENESIS;
  const seqs = await sql<{ seq: string }>`select nextval(pg_get_serial_sequence('audit.entries', 'seq'))::text as seq
    from generate_series(1, ${entries.length})`.execute(db);
  const sorted = seqs.rows.map((r) => BigInt(r.seq)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length !== entries.length) throw new Error('audit: sequence values missing');
  const out: { seq: string; hash: string }[] = [];
  const rows = entries.map((entry, i) => {
    const row = toRow(String(sorted[i]), entry);
    const hash = chainHash(prev, row);
    const stored = {
      ...row,
      result: entry.result,
      details: row.details === null ? null : JSON.stringify(row.details),
      prev_hash: prev,
      hash,
    };
    out.push({ seq: row.seq, hash });
    prev = hash;
    return stored;
  });
  await db.insertInto('audit.entries').values(rows).execute();
  return out;
}

/**
 * Buffered audit for high-volume reads that have no transaction of their own (public verification hits): entries
 * are appended in batches every `intervalMs` or every `maxBatch` entries, so the chain lock is taken once per batch.
 * A crash loses at most one interval of such entries; changes to data must use `recordAudit` in their transaction.
 */
export class AuditBuffer {
  private pending: AuditEntryInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: { intervalMs?: number; maxBatch?: number; onError?: (e: unknown) => void } = {},
  ) {}

  add(entry: AuditEntryInput): void {
    this.pending.push({ ...entry, at: entry.at ?? new Date() });
    if (this.pending.length >= (this.opts.maxBatch ?? 500)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.intervalMs ?? 250);
  }

  /** Writes what is pending; resolves when it is in the database. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await recordAuditMany(this.db, batch);
      } catch (e) {
        this.opts.onError?.(e);
      }
    });
    return this.flushing;
  }
}

async function anchorHash(db: Db): Promise<string | undefined> {
  const a = await db
    .selectFrom('audit.anchors')
    .select('hash')
    .orderBy('up_to_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return a?.hash;
}

export type AuditFinding =
  | { readonly kind: 'altered'; readonly seq: string }
  | { readonly kind: 'inserted'; readonly seq: string }
  | { readonly kind: 'removed'; readonly afterSeq: string | null; readonly beforeSeq: string };

export interface AuditVerification {
  readonly ok: boolean;
  readonly rows: number;
  readonly headSeq: string | null;
  readonly headHash: string;
  readonly findings: readonly AuditFinding[];
}

export function describeFinding(f: AuditFinding): string {
  switch (f.kind) {
    case 'altered':
      return `第 ${f.seq} 条被篡改 / row seq=${f.seq} was altered`;
    case 'inserted':
      return `第 ${f.seq} 条为插入的记录 / row seq=${f.seq} was inserted`;
    case 'removed':
      return `第 ${f.afterSeq ?? '（开头）'} 条与第 ${f.beforeSeq} 条之间有记录被删除 / row(s) removed between seq=${f.afterSeq ?? '(start)'} and seq=${f.beforeSeq}`;
  }
}

/**
 * Walks the whole chain in `seq` order, in batches. A row whose hash does not match its content is altered; a row the
 * next row's link skips over is inserted; a link to a hash no remaining row has means rows were removed.
 */
export async function verifyAuditChain(db: Kysely<Database>, batch = 5000): Promise<AuditVerification> {
  const anchor = (await anchorHash(db)) ?? AUDIT_GENESIS;
  const findings: AuditFinding[] = [];
  let prev: { seq: string; hash: string } | undefined;
  let prevPrevHash: string | undefined;
  let rows = 0;
  let after = '0';
  const alteredPending = new Set<string>();
  for (;;) {
    const page = await db
      .selectFrom('audit.entries')
      .selectAll()
      .where(sql<boolean>`seq > ${after}::bigint`)
      .orderBy('seq')
      .limit(batch)
      .execute();
    for (const r of page) {
      rows++;
      const expectedPrev = prev?.hash ?? anchor;
      if (r.prev_hash !== expectedPrev) {
        const skipsPrevious = prev !== undefined && r.prev_hash === (prevPrevHash ?? anchor);
        if (skipsPrevious && prev) {
          // The previous row sits between two rows that link to each other: it was inserted.
          alteredPending.delete(prev.seq);
          findings.push({ kind: 'inserted', seq: prev.seq });
        } else {
          findings.push({ kind: 'removed', afterSeq: prev?.seq ?? null, beforeSeq: String(r.seq) });
        }
      }
      const computed = chainHash(r.prev_hash, { ...r, seq: String(r.seq), at: new Date(r.at) });
      if (computed !== r.hash) alteredPending.add(String(r.seq));
      prevPrevHash = prev?.hash ?? anchor;
      prev = { seq: String(r.seq), hash: r.hash };
      after = String(r.seq);
    }
    if (page.length < batch) break;
  }
  for (const seq of alteredPending) findings.push({ kind: 'altered', seq });
  const order = (f: AuditFinding) => BigInt(f.kind === 'removed' ? f.beforeSeq : f.seq);
  findings.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { ok: findings.length === 0, rows, headSeq: prev?.seq ?? null, headHash: prev?.hash ?? anchor, findings };
}

export class AuditRetentionError extends Error {
  constructor(before: Date) {
    super(
      `审计日志须保存不少于 ${AUDIT_RETENTION_YEARS} 年，拒绝删除 ${before.toISOString()} 之前的记录 / audit entries are kept at least ${AUDIT_RETENTION_YEARS} years; refusing to delete entries before ${before.toISOString()}`,
    );
    this.name = 'AuditRetentionError';
  }
}

/**
 * Retention job: removes entries strictly older than `before`, which must itself be at least 10 years ago
 * (Nanyang Art. 17); keeps the last removed row's hash as the chain's new anchor. The database trigger refuses younger
 * rows independently of this check.
 */
export async function pruneAudit(db: Kysely<Database>, before: Date, now: Date = new Date()): Promise<number> {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() - AUDIT_RETENTION_YEARS);
  if (before.getTime() > limit.getTime()) throw new AuditRetentionError(before);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(trx);
    // Only a prefix of the chain may go: stop at the first row not older than `before`.
    const firstKept = await trx
      .selectFrom('audit.entries')
      .select('seq')
      .where('at', '>=', before)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const lastGone = await trx
      .selectFrom('audit.entries')
      .select(['seq', 'hash'])
      .$if(firstKept !== undefined, (q) => q.where(sql<boolean>`seq < ${firstKept?.seq ?? '0'}::bigint`))
      .where('at', '<', before)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!lastGone) return 0;
    // Migration 0004 revoked DELETE from the application role; the owner grants it back for this transaction only.
    const owner = await sql<{ mine: boolean }>`select pg_get_userbyid(relowner) = current_user as mine
      from pg_class where oid = 'audit.entries'::regclass`.execute(trx);
    if (owner.rows[0]?.mine) await sql`grant delete on audit.entries to current_user`.execute(trx);
    const r = await trx
      .deleteFrom('audit.entries')
      .where(sql<boolean>`seq <= ${lastGone.seq}::bigint`)
      .executeTakeFirst();
    await trx.insertInto('audit.anchors').values({ up_to_seq: lastGone.seq, hash: lastGone.hash }).execute();
    if (owner.rows[0]?.mine) await sql`revoke delete on audit.entries from current_user`.execute(trx);
    return Number(r.numDeletedRows);
  });
}

export interface AuditEntryView {
  readonly seq: string;
  readonly at: Date;
  readonly actorKind: string;
  readonly actorId: string | null;
  readonly clientId: string | null;
  readonly action: string;
  readonly certificateId: string | null;
  readonly purpose: string | null;
  readonly caseNo: string | null;
  readonly result: AuditResult;
  readonly reason: string | null;
}

export interface AuditPage {
  readonly items: readonly AuditEntryView[];
  /** Pass as `beforeSeq` for the next (older) page. */
  readonly nextBeforeSeq: string | null;
}

interface PageOptions {
  readonly limit?: number;
  readonly beforeSeq?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Only these actions (e.g. the data-access ones for "who accessed mine"). */
  readonly actions?: readonly string[];
}

function toView(r: {
  seq: string;
  at: Date;
  actor_kind: string;
  actor_id: string | null;
  client_id: string | null;
  action: string;
  certificate_id: string | null;
  purpose: string | null;
  case_no: string | null;
  result: AuditResult;
  reason: string | null;
}): AuditEntryView {
  return {
    seq: String(r.seq),
    at: new Date(r.at),
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    clientId: r.client_id,
    action: r.action,
    certificateId: r.certificate_id,
    purpose: r.purpose,
    caseNo: r.case_no,
    result: r.result,
    reason: r.reason,
  };
}

async function page(
  db: Db,
  column: 'certificate_id' | 'issuing_agency_id',
  value: string,
  o: PageOptions,
): Promise<AuditPage> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), 500);
  const rows = await db
    .selectFrom('audit.entries')
    .select([
      'seq',
      'at',
      'actor_kind',
      'actor_id',
      'client_id',
      'action',
      'certificate_id',
      'purpose',
      'case_no',
      'result',
      'reason',
    ])
    .where(column, '=', value)
    .$if(o.beforeSeq !== undefined, (q) => q.where(sql<boolean>`seq < ${o.beforeSeq ?? '0'}::bigint`))
    .$if(o.from !== undefined, (q) => q.where('at', '>=', o.from as Date))
    .$if(o.to !== undefined, (q) => q.where('at', '<', o.to as Date))
    .$if((o.actions?.length ?? 0) > 0, (q) => q.where('action', 'in', o.actions as string[]))
    .orderBy('seq', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(toView);
  return { items, nextBeforeSeq: rows.length > limit ? (items[items.length - 1]?.seq ?? null) : null };
}

/** Who used one certificate, newest first (the holder's "who accessed mine"; Sichuan Art. 14). */
export function auditByCertificate(db: Db, certificateId: string, o: PageOptions = {}): Promise<AuditPage> {
  return page(db, 'certificate_id', certificateId, o);
}

/** Uses of an agency's certificates, newest first (usage report to the issuer; Nanyang Art. 17). */
export function auditByIssuer(db: Db, issuingAgencyId: string, o: PageOptions = {}): Promise<AuditPage> {
  return page(db, 'issuing_agency_id', issuingAgencyId, o);
}

/** Counts per action and client for an issuer over a period (the usage report's summary). */
export async function usageSummary(
  db: Db,
  issuingAgencyId: string,
  from: Date,
  to: Date,
): Promise<{ action: string; clientId: string | null; result: AuditResult; count: number }[]> {
  const rows = await db
    .selectFrom('audit.entries')
    .select(['action', 'client_id', 'result', sql<string>`count(*)::text`.as('n')])
    .where('issuing_agency_id', '=', issuingAgencyId)
    .where('at', '>=', from)
    .where('at', '<', to)
    .groupBy(['action', 'client_id', 'result'])
    .orderBy('action')
    .execute();
  return rows.map((r) => ({ action: r.action, clientId: r.client_id, result: r.result, count: Number(r.n) }));
}
