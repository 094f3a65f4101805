import { hash as digest, randomUUID } from 'node:crypto';
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
  const fields = [
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
  ];
  // Without details every field is a string or null, for which JSON.stringify writes exactly what stableJson writes
  // (and several times faster: this runs for every entry appended and every entry verified).
  return r.details === null || r.details === undefined ? JSON.stringify(fields) : stableJson(fields);
}

export function chainHash(prevHash: string, row: CanonicalAuditRow): string {
  return linkHash(prevHash, canonicalAuditRow(row));
}

/** SM3(prev_hash ‖ canonical), both UTF-8: one-shot `crypto.hash` (half the cost of a Hash object per row). */
function linkHash(prevHash: string, canonical: string): string {
  return digest('sm3', prevHash + canonical, 'hex');
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
  // One statement for the whole batch, whose single parameter is a JSON array of [canonical row, prev_hash, hash]:
  // the canonical text hashed for the chain is also what is stored (one serialisation per row, not two), and
  // PostgreSQL takes each column from it by position. Public verification appends thousands of rows a second; this
  // costs about half the CPU of a keyed JSON record set on both sides (bench/verify, docs/verification.md).
  const parts: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const canonical = canonicalAuditRow(toRow(String(sorted[i]), entry));
    const hash = linkHash(prev, canonical);
    out.push({ seq: String(sorted[i]), hash });
    parts.push(`[${canonical},${JSON.stringify(prev)},${JSON.stringify(hash)}]`);
    prev = hash;
  }
  await sql`insert into audit.entries (${sql.raw(INSERT_COLUMNS)})
    select ${sql.raw(FROM_CANONICAL)} from jsonb_array_elements(${`[${parts.join(',')}]`}::jsonb) e`.execute(db);
  return out;
}

/** Every column a row is written with (all of them: `seq` is taken from the sequence above, not defaulted). */
const INSERT_COLUMNS = [
  'seq',
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_agency_id',
  'action',
  'object_type',
  'object_id',
  'certificate_id',
  'issuing_agency_id',
  'holder_key',
  'purpose',
  'case_no',
  'result',
  'reason',
  'client_id',
  'ip',
  'request_id',
  'details',
  'prev_hash',
  'hash',
].join(', ');

/**
 * INSERT_COLUMNS read from `e` = [canonical row, prev_hash, hash], the canonical row being canonicalAuditRow's array
 * (element 0 is the format tag, then the columns in INSERT_COLUMNS order up to details). JSON null becomes SQL NULL
 * by `->>`; details is jsonb, where a JSON null must be turned into NULL explicitly.
 */
const FROM_CANONICAL = [
  '(e->0->>1)::bigint',
  '(e->0->>2)::uuid',
  '(e->0->>3)::timestamptz',
  ...Array.from({ length: 16 }, (_, i) => `e->0->>${i + 4}`),
  "nullif(e->0->20, 'null'::jsonb)",
  'e->>1',
  'e->>2',
].join(', ');

export interface AuditBufferOptions {
  /** Longest time an entry waits before it is written (default 250 ms). */
  readonly intervalMs?: number;
  /** Entries per append; reaching it writes at once (default 500). */
  readonly maxBatch?: number;
  /**
   * Entries that may wait while the database refuses writes (default 50,000): beyond it `accepting` turns false and
   * callers must refuse the access they would have audited.
   */
  readonly maxPending?: number;
  /** Longest pause between retries of a failed append (default 10 s). */
  readonly maxRetryMs?: number;
  readonly onError?: (e: unknown) => void;
  /** Called after each append with the number of entries it wrote (the writer thread reports progress with it). */
  readonly onWritten?: (n: number) => void;
}

/**
 * Where buffered audit entries go: `AuditBuffer` in this thread, or `AuditWriterThread` (audit-writer-thread.ts),
 * which does the same work on a thread of its own when the database is a PostgreSQL server.
 */
export interface AuditSink {
  /** False while too many entries wait for a database that refuses writes: refuse the access instead. */
  readonly accepting: boolean;
  /** Entries not yet in the database. */
  readonly waiting: number;
  /** Queues an entry (check `accepting` before the access it records). */
  add(entry: AuditEntryInput): void;
  /** Writes everything queued so far; resolves when it is in the database (or after trying). */
  flush(): Promise<void>;
  /** Last flush before shutdown; returns how many entries could not be written (to be reported, they are lost). */
  close(): Promise<number>;
}

/**
 * Buffered audit for high-volume reads that have no transaction of their own (public verification hits): entries
 * are appended in batches of `maxBatch`, or after `intervalMs` at the latest, so the chain lock is taken once per batch.
 *
 * Nothing is dropped: a batch the database refuses goes back in front of the queue, in order, and is retried with
 * growing pauses. What a crash can lose is what waits in memory: at most `intervalMs` worth of entries (plus one batch
 * being written) in normal operation, and at most `maxPending` entries while the database is refusing writes — past
 * that `accepting` is false and the caller refuses service rather than serve unaudited. Changes to data must use
 * `recordAudit` in their own transaction instead.
 */
export class AuditBuffer implements AuditSink {
  private pending: AuditEntryInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private writing = false;
  /** A drain is chained and has not started yet (so `add` does not chain another). */
  private queued = false;
  private closed = false;
  private flushing: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: AuditBufferOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 250;
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxPending = opts.maxPending ?? 50_000;
  }

  /** False while `maxPending` entries wait for a database that refuses writes: refuse the access instead. */
  get accepting(): boolean {
    return !this.closed && this.pending.length < this.maxPending;
  }

  /** Entries not yet in the database. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Queues an entry (check `accepting` before the access it records; a few over `maxPending` are still taken). */
  add(entry: AuditEntryInput): void {
    this.pending.push({ ...entry, at: entry.at ?? new Date() });
    if (this.writing || this.queued || this.retryTimer) return; // the coming write or the retry picks it up
    if (this.pending.length >= this.maxBatch) void this.schedule(false);
    else this.timer ??= setTimeout(() => void this.schedule(true), this.intervalMs);
  }

  /** Writes everything pending; resolves when it is in the database (or, if the database refuses, after trying). */
  flush(): Promise<void> {
    return this.schedule(true);
  }

  /** Last flush before shutdown; returns how many entries could not be written (to be reported, they are lost). */
  async close(): Promise<number> {
    await this.flush();
    for (let i = 0; i < 3 && this.pending.length > 0; i++) {
      await new Promise((r) => setTimeout(r, this.intervalMs));
      await this.flush();
    }
    this.closed = true;
    this.clearTimers();
    return this.pending.length;
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = undefined;
    this.retryTimer = undefined;
  }

  /** Chains one drain after the previous one: appends never overlap, so the chain keeps the queue's order. */
  private schedule(all: boolean): Promise<void> {
    this.clearTimers();
    this.queued = true;
    this.flushing = this.flushing.then(() => this.drain(all));
    return this.flushing;
  }

  /** Writes full batches (all: down to the last entry), each taken from the queue when its turn comes. */
  private async drain(all: boolean): Promise<void> {
    this.queued = false;
    this.writing = true;
    try {
      while (this.pending.length >= (all ? 1 : this.maxBatch)) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          await recordAuditMany(this.db, batch);
          this.failures = 0;
          this.opts.onWritten?.(batch.length);
        } catch (e) {
          this.pending = batch.concat(this.pending);
          this.failures++;
          this.opts.onError?.(e);
          if (!this.closed) {
            const pause = Math.min(this.intervalMs * 2 ** this.failures, this.opts.maxRetryMs ?? 10_000);
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              void this.schedule(true);
            }, pause);
          }
          return;
        }
      }
    } finally {
      this.writing = false;
    }
    // What is left (less than a batch) waits for the interval.
    if (this.pending.length > 0 && !this.closed)
      this.timer ??= setTimeout(() => void this.schedule(true), this.intervalMs);
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

/** One finding in Chinese and in English (the console shows the one of the user's language). */
export function describeFindingParts(f: AuditFinding): { zh: string; en: string } {
  switch (f.kind) {
    case 'altered':
      return { zh: `第 ${f.seq} 条被篡改`, en: `row seq=${f.seq} was altered` };
    case 'inserted':
      return { zh: `第 ${f.seq} 条为插入的记录`, en: `row seq=${f.seq} was inserted` };
    case 'removed':
      return {
        zh: `第 ${f.afterSeq ?? '（开头）'} 条与第 ${f.beforeSeq} 条之间有记录被删除`,
        en: `row(s) removed between seq=${f.afterSeq ?? '(start)'} and seq=${f.beforeSeq}`,
      };
  }
}

export function describeFinding(f: AuditFinding): string {
  const d = describeFindingParts(f);
  return `${d.zh} / ${d.en}`;
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
 * (Nanyang Art. 17: access logs kept no less than 10 years); the hash of the last removed row becomes the chain's new
 * anchor. The deletion happens in `audit.prune_before` (migration 0007), a SECURITY DEFINER function of the owner
 * role: the application role has no DELETE privilege, and the function refuses a cut-off younger than 10 years by the
 * database's own clock, as the row trigger of migration 0004 does — this check only fails fast with a clear error.
 */
export async function pruneAudit(db: Kysely<Database>, before: Date, now: Date = new Date()): Promise<number> {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() - AUDIT_RETENTION_YEARS);
  if (before.getTime() > limit.getTime()) throw new AuditRetentionError(before);
  const r = await sql<{ removed: string }>`select audit.prune_before(${before})::text as removed`.execute(db);
  return Number(r.rows[0]?.removed ?? 0);
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

/** An entry as the audit viewer shows it (issue 8 §1 "audit viewer"): everything but the chain columns. */
export interface AuditEntryDetail extends AuditEntryView {
  readonly id: string;
  readonly actorAgencyId: string | null;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly issuingAgencyId: string | null;
  readonly ip: string | null;
  readonly requestId: string | null;
  readonly details: unknown;
}

export interface AuditEntryFilter {
  /**
   * Scope: entries written by this agency's staff or about its certificates. Undefined = every entry (province
   * admin). Callers derive it from the principal; it is never taken from the request as is.
   */
  readonly agencyId?: string;
  /** An exact action (`certificate.download`) or a family (`share.*`). */
  readonly action?: string;
  /** The acting user, client or holder key (actor id or client id). */
  readonly actor?: string;
  readonly certificateId?: string;
  readonly result?: AuditResult;
  readonly from?: Date;
  readonly to?: Date;
  /** Cursor: entries with a smaller seq (older) than this. */
  readonly beforeSeq?: string;
  readonly limit?: number;
}

/** Entries newest first, filtered and scoped; `nextBeforeSeq` pages on to older ones. */
export async function listAuditEntries(
  db: Db,
  f: AuditEntryFilter,
): Promise<{ items: AuditEntryDetail[]; nextBeforeSeq: string | null }> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
  const family = f.action?.endsWith('.*') ? f.action.slice(0, -1) : undefined;
  const rows = await db
    .selectFrom('audit.entries')
    .select([
      'seq',
      'id',
      'at',
      'actor_kind',
      'actor_id',
      'actor_agency_id',
      'client_id',
      'action',
      'object_type',
      'object_id',
      'certificate_id',
      'issuing_agency_id',
      'purpose',
      'case_no',
      'result',
      'reason',
      'ip',
      'request_id',
      'details',
    ])
    .$if(f.agencyId !== undefined, (q) =>
      q.where((eb) =>
        eb.or([eb('actor_agency_id', '=', f.agencyId as string), eb('issuing_agency_id', '=', f.agencyId as string)]),
      ),
    )
    .$if(family !== undefined, (q) =>
      // `like` with the family as a literal prefix: its `_` and `%` are escaped.
      q.where('action', 'like', `${(family as string).replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
    )
    .$if(f.action !== undefined && family === undefined, (q) => q.where('action', '=', f.action as string))
    .$if(f.actor !== undefined, (q) =>
      q.where((eb) => eb.or([eb('actor_id', '=', f.actor as string), eb('client_id', '=', f.actor as string)])),
    )
    .$if(f.certificateId !== undefined, (q) => q.where('certificate_id', '=', f.certificateId as string))
    .$if(f.result !== undefined, (q) => q.where('result', '=', f.result as AuditResult))
    .$if(f.from !== undefined, (q) => q.where('at', '>=', f.from as Date))
    .$if(f.to !== undefined, (q) => q.where('at', '<', f.to as Date))
    .$if(f.beforeSeq !== undefined, (q) => q.where(sql<boolean>`seq < ${f.beforeSeq ?? '0'}::bigint`))
    .orderBy('seq', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map((r) => ({
    ...toView(r),
    id: r.id,
    actorAgencyId: r.actor_agency_id,
    objectType: r.object_type,
    objectId: r.object_id,
    issuingAgencyId: r.issuing_agency_id,
    ip: r.ip,
    requestId: r.request_id,
    details: r.details ?? null,
  }));
  return { items, nextBeforeSeq: rows.length > limit ? (items[items.length - 1]?.seq ?? null) : null };
}
