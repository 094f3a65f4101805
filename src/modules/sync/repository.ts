import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type {
  DivergingDay,
  InboundOutcome,
  PeerKind,
  SyncInboundTable,
  SyncOutboundTable,
  SyncPeerTable,
  SyncReconciliationTable,
  SyncRelayTable,
} from './tables.js';

/**
 * SQL of the sync bookkeeping: the city's relay (sequence, outbound log, delivery state), the receiving side's peers,
 * inbound log and enrolment tokens, and reconciliation reports. The province library's SQL is in `library.ts`.
 */
type Db = Kysely<Database> | Transaction<Database>;
export type RelayRow = Selectable<SyncRelayTable>;
export type OutboundRow = Selectable<SyncOutboundTable>;
export type PeerRow = Selectable<SyncPeerTable>;
export type InboundRow = Selectable<SyncInboundTable>;
export type ReconciliationRow = Selectable<SyncReconciliationTable>;

const UPSTREAM = 'upstream';
/** Outbox aggregates the province needs (Henan 三(一)6: catalog and face data; seals' public information). */
export const SYNCED_AGGREGATES = ['certificate', 'seal', 'agency'] as const;

// ---------------------------------------------------------------- relay (city side)

export async function getRelay(db: Db): Promise<RelayRow | undefined> {
  return db.selectFrom('sync_relay').selectAll().where('id', '=', UPSTREAM).executeTakeFirst();
}

export async function ensureRelay(db: Db): Promise<RelayRow> {
  await db
    .insertInto('sync_relay')
    .values({ id: UPSTREAM })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return (await getRelay(db))!;
}

export async function setUpstream(
  db: Db,
  u: {
    province_node_id: string;
    province_name: string;
    province_url: string | null;
    province_public_key: string;
    region_codes: readonly string[];
    joined_at: Date;
  },
): Promise<void> {
  await ensureRelay(db);
  await db
    .updateTable('sync_relay')
    .set({ ...u, region_codes: JSON.stringify(u.region_codes), updated_at: u.joined_at })
    .where('id', '=', UPSTREAM)
    .execute();
}

export async function resetAck(db: Db, now: Date): Promise<void> {
  await db.updateTable('sync_relay').set({ acked_seq: '0', updated_at: now }).where('id', '=', UPSTREAM).execute();
}

/**
 * Gives the next outbox events their per-node sequence numbers, in outbox id order, in one transaction that holds the
 * relay row lock (so two relays never number the same event). A row is numbered as soon as its transaction has
 * committed (it is visible and not yet numbered). An id high-water mark would be wrong: ids are drawn before commit,
 * so id 10 can become visible after id 11 was numbered, and a mark at 11 would skip 10 for ever. Here such a row is
 * simply numbered later, by the anti-join. The scan is bounded by a floor on `txid`: once every transaction below
 * the snapshot's `xmin` has ended, all their rows were visible to this scan, so the next scan may start there. Events
 * of one certificate keep their order: each takes the certificate row lock before writing its event, so a later event
 * commits later and is never visible before an earlier one. Returns how many were numbered.
 */
export async function sequenceOutbox(db: Kysely<Database>, limit: number, now: Date): Promise<number> {
  // A cheap probe first: an idle node neither takes the row lock nor burns a transaction id every tick.
  const probe = await sql<{ any: boolean }>`
    select exists (
      select 1 from outbox o, sync_relay r
      where r.id = ${UPSTREAM} and o.txid >= r.floor_txid
        and o.aggregate_type in (${sql.join([...SYNCED_AGGREGATES])})
        and not exists (select 1 from sync_outbound s where s.outbox_id = o.id)
    ) as any`.execute(db);
  if (!probe.rows[0]?.any) return 0;
  return db.transaction().execute(async (trx) => {
    const relay = await trx
      .selectFrom('sync_relay')
      .select(['next_seq', 'floor_txid'])
      .where('id', '=', UPSTREAM)
      .forUpdate()
      .executeTakeFirst();
    if (!relay) return 0;
    // Read before the rows: every transaction below it has ended, so all its rows are visible to the scan below.
    const xmin = (
      await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(trx)
    ).rows[0]!.xmin;
    const rows = await sql<{
      id: string;
      aggregate_type: string;
      aggregate_id: string;
      event_type: string;
      created_at: Date;
    }>`
      select o.id::text as id, o.aggregate_type, o.aggregate_id, o.event_type, o.created_at
      from outbox o
      where o.txid >= ${relay.floor_txid}::xid8
        and o.aggregate_type in (${sql.join([...SYNCED_AGGREGATES])})
        and not exists (select 1 from sync_outbound s where s.outbox_id = o.id)
      order by o.id
      limit ${limit}`.execute(trx);
    let next = BigInt(relay.next_seq);
    if (rows.rows.length) {
      await trx
        .insertInto('sync_outbound')
        .values(
          rows.rows.map((r) => ({
            seq: String(next++),
            outbox_id: r.id,
            aggregate_type: r.aggregate_type,
            aggregate_id: r.aggregate_id,
            event_type: r.event_type,
            event_at: r.created_at,
          })),
        )
        .execute();
    }
    // Everything below xmin is numbered now, unless the limit cut the scan short.
    const floor = rows.rows.length < limit ? xmin : relay.floor_txid;
    await trx
      .updateTable('sync_relay')
      .set({ next_seq: String(next), floor_txid: floor, updated_at: now })
      .where('id', '=', UPSTREAM)
      .execute();
    return rows.rows.length;
  });
}

/** Appends messages that do not come from the outbox (catalog snapshot at join, reconciliation repairs). */
export async function enqueueDirect(
  db: Kysely<Database>,
  items: readonly { aggregate_type: string; aggregate_id: string; event_type: string }[],
  now: Date,
): Promise<{ first: string; last: string } | undefined> {
  if (items.length === 0) return undefined;
  return db.transaction().execute(async (trx) => {
    const relay = await trx
      .selectFrom('sync_relay')
      .select('next_seq')
      .where('id', '=', UPSTREAM)
      .forUpdate()
      .executeTakeFirstOrThrow();
    let next = BigInt(relay.next_seq);
    const first = String(next);
    for (let i = 0; i < items.length; i += 1000) {
      await trx
        .insertInto('sync_outbound')
        .values(items.slice(i, i + 1000).map((it) => ({ ...it, seq: String(next++), outbox_id: null, event_at: now })))
        .execute();
    }
    await trx
      .updateTable('sync_relay')
      .set({ next_seq: String(next), updated_at: now })
      .where('id', '=', UPSTREAM)
      .execute();
    return { first, last: String(next - 1n) };
  });
}

/**
 * A lease on delivery, so that only one process pushes at a time (several instances behind a balancer, or the CLI
 * next to a running server on PostgreSQL). Returns true when this owner holds it until `until`.
 */
export async function takeLease(db: Db, owner: string, now: Date, until: Date): Promise<boolean> {
  const r = await db
    .updateTable('sync_relay')
    .set({ lease_owner: owner, lease_until: until })
    .where('id', '=', UPSTREAM)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseLease(db: Db, owner: string): Promise<void> {
  await db
    .updateTable('sync_relay')
    .set({ lease_owner: null, lease_until: null })
    .where('id', '=', UPSTREAM)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function outboundAfter(db: Db, afterSeq: string, limit: number): Promise<OutboundRow[]> {
  return db.selectFrom('sync_outbound').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}

export async function recordPushSuccess(db: Db, o: { acked: string; pushed: number; at: Date }): Promise<void> {
  await db
    .updateTable('sync_relay')
    .set({
      // The province's ack is the truth: lower than ours after it lost data (restore), so we resend from there.
      acked_seq: o.acked,
      last_attempt_at: o.at,
      last_success_at: o.at,
      consecutive_failures: 0,
      next_attempt_at: null,
      pushed_total: sql<string>`pushed_total + ${o.pushed}`,
      updated_at: o.at,
    })
    .where('id', '=', UPSTREAM)
    .execute();
}

export async function recordPushFailure(db: Db, o: { error: string; at: Date; next: Date }): Promise<number> {
  const r = await db
    .updateTable('sync_relay')
    .set({
      last_attempt_at: o.at,
      consecutive_failures: sql<number>`consecutive_failures + 1`,
      failures_total: sql<string>`failures_total + 1`,
      last_error: o.error.slice(0, 500),
      last_error_at: o.at,
      next_attempt_at: o.next,
      updated_at: o.at,
    })
    .where('id', '=', UPSTREAM)
    .returning('consecutive_failures')
    .executeTakeFirst();
  return r?.consecutive_failures ?? 1;
}

export interface Backlog {
  /** Committed outbox events not numbered yet. */
  readonly unsequenced: number;
  /** Numbered, not acknowledged by the province. */
  readonly unacked: number;
  /** Event time of the oldest event not acknowledged (either kind), if any. */
  readonly oldestAt: Date | null;
  readonly lastSeq: string;
}

export async function backlog(db: Db): Promise<Backlog> {
  const relay = await getRelay(db);
  if (!relay) return { unsequenced: 0, unacked: 0, oldestAt: null, lastSeq: '0' };
  const un = await sql<{ n: string; oldest: Date | null }>`
    select count(*)::text as n, min(o.created_at) as oldest from outbox o
    where o.txid >= ${relay.floor_txid}::xid8 and o.aggregate_type in (${sql.join([...SYNCED_AGGREGATES])})
      and not exists (select 1 from sync_outbound s where s.outbox_id = o.id)`.execute(db);
  const ack = await db
    .selectFrom('sync_outbound')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('event_at').as('oldest')])
    .where('seq', '>', relay.acked_seq)
    .executeTakeFirstOrThrow();
  const a = un.rows[0]?.oldest ?? null;
  const b = (ack.oldest as Date | null) ?? null;
  return {
    unsequenced: Number(un.rows[0]?.n ?? 0),
    unacked: Number(ack.n),
    oldestAt: a && b ? new Date(Math.min(a.getTime(), b.getTime())) : (a ?? b),
    lastSeq: String(BigInt(relay.next_seq) - 1n),
  };
}

// ---------------------------------------------------------------- peers and inbound (receiving side)

export async function findPeer(db: Db, peerId: string): Promise<PeerRow | undefined> {
  return db.selectFrom('sync_peers').selectAll().where('peer_id', '=', peerId).executeTakeFirst();
}

export async function listPeers(db: Db, kind?: PeerKind): Promise<PeerRow[]> {
  let q = db.selectFrom('sync_peers').selectAll().orderBy('peer_id');
  if (kind) q = q.where('kind', '=', kind);
  return q.execute();
}

export async function upsertPeer(
  db: Db,
  p: {
    peer_id: string;
    kind: PeerKind;
    name: string;
    region_codes: readonly string[];
    base_url: string | null;
    agency_id: string | null;
    public_key_hex: string;
    is_self?: boolean;
  },
): Promise<void> {
  const row = { ...p, region_codes: JSON.stringify(p.region_codes), is_self: p.is_self ?? false };
  await db
    .insertInto('sync_peers')
    .values(row)
    .onConflict((oc) =>
      oc.column('peer_id').doUpdateSet({
        name: row.name,
        region_codes: row.region_codes,
        base_url: row.base_url,
        public_key_hex: row.public_key_hex,
        revoked_at: null,
      }),
    )
    .execute();
}

/** Locks the peer row: one batch of a peer at a time, so the contiguous ack is computed on a stable view. */
export async function lockPeer(trx: Transaction<Database>, peerId: string): Promise<PeerRow | undefined> {
  return trx.selectFrom('sync_peers').selectAll().where('peer_id', '=', peerId).forUpdate().executeTakeFirst();
}

/** Records (peer, seq) once; returns the seqs that were new (the rest are duplicates). */
export async function insertInbound(
  trx: Transaction<Database>,
  rows: readonly {
    peer_id: string;
    seq: string;
    type: string;
    ref: string;
    outcome: InboundOutcome;
    error: string | null;
    event_at: Date;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('sync_inbound')
    .values(rows.map((r) => ({ ...r })))
    .onConflict((oc) => oc.columns(['peer_id', 'seq']).doNothing())
    .execute();
}

export async function existingSeqs(trx: Db, peerId: string, seqs: readonly string[]): Promise<Set<string>> {
  if (seqs.length === 0) return new Set();
  const rows = await trx
    .selectFrom('sync_inbound')
    .select(sql<string>`seq::text`.as('seq'))
    .where('peer_id', '=', peerId)
    .where('seq', 'in', [...seqs])
    .execute();
  return new Set(rows.map((r) => r.seq));
}

/** The highest seq up to which every message of the peer is recorded, starting from `from`. */
export async function contiguousFrom(trx: Db, peerId: string, from: string): Promise<string> {
  const r = await sql<{ upto: string | null }>`
    select min(s.seq)::text as upto from sync_inbound s
    where s.peer_id = ${peerId} and s.seq > ${from}::bigint
      and exists (select 1 from sync_inbound f where f.peer_id = ${peerId} and f.seq = ${from}::bigint + 1)
      and not exists (select 1 from sync_inbound t where t.peer_id = ${peerId} and t.seq = s.seq + 1)`.execute(trx);
  return r.rows[0]?.upto ?? from;
}

export async function updatePeerAfterBatch(
  trx: Db,
  peerId: string,
  o: {
    acked: string;
    maxSeq: string;
    at: Date;
    lastEventAt: Date | null;
    received: number;
    duplicates: number;
    rejected: number;
    lastError?: string;
  },
): Promise<void> {
  await trx
    .updateTable('sync_peers')
    .set({
      acked_seq: o.acked,
      max_seq: sql<string>`greatest(max_seq, ${o.maxSeq}::bigint)`,
      last_received_at: o.at,
      ...(o.lastEventAt ? { last_event_at: o.lastEventAt } : {}),
      messages_total: sql<string>`messages_total + ${o.received}`,
      duplicates_total: sql<string>`duplicates_total + ${o.duplicates}`,
      rejected_total: sql<string>`rejected_total + ${o.rejected}`,
      ...(o.lastError ? { last_error: o.lastError.slice(0, 500), last_error_at: o.at } : {}),
    })
    .where('peer_id', '=', peerId)
    .execute();
}

export async function notePeerError(db: Db, peerId: string, error: string, at: Date): Promise<void> {
  await db
    .updateTable('sync_peers')
    .set({
      last_error: error.slice(0, 500),
      last_error_at: at,
      rejected_total: sql<string>`rejected_total + 1`,
    })
    .where('peer_id', '=', peerId)
    .execute();
}

export async function recentRejections(db: Db, peerId: string, limit = 20): Promise<InboundRow[]> {
  return db
    .selectFrom('sync_inbound')
    .selectAll()
    .where('peer_id', '=', peerId)
    .where('outcome', '=', 'rejected')
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}

export async function countInbound(db: Db, peerId: string): Promise<number> {
  const r = await db
    .selectFrom('sync_inbound')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('peer_id', '=', peerId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

// ---------------------------------------------------------------- enrolment tokens and nonces

export async function insertToken(
  db: Db,
  t: { token_sm3: string; label: string; region_codes: readonly string[]; created_by: unknown; expires_at: Date },
): Promise<void> {
  await db
    .insertInto('sync_enrolment_tokens')
    .values({ ...t, region_codes: JSON.stringify(t.region_codes), created_by: JSON.stringify(t.created_by) })
    .execute();
}

/** Marks the token used, once: returns its row when it was valid and unused, else undefined. */
export async function consumeToken(trx: Db, tokenSm3: string, usedBy: string, now: Date) {
  return trx
    .updateTable('sync_enrolment_tokens')
    .set({ used_at: now, used_by: usedBy })
    .where('token_sm3', '=', tokenSm3)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['label', 'region_codes'])
    .executeTakeFirst();
}

export async function listTokens(db: Db) {
  return db
    .selectFrom('sync_enrolment_tokens')
    .select(['label', 'region_codes', 'created_at', 'expires_at', 'used_at', 'used_by'])
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
}

/** True when the nonce was unused (and is now recorded); expired nonces are purged on the way. */
export async function claimNonce(db: Db, peerId: string, nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.deleteFrom('sync_nonces').where('expires_at', '<', now).execute();
  const r = await db
    .insertInto('sync_nonces')
    .values({ peer_id: peerId, nonce, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['peer_id', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

// ---------------------------------------------------------------- city certificates for reconciliation

/**
 * The city's own certificates as reconciliation lines, per day of issue (created_at in China Standard Time), for the
 * agencies in the enrolled regions — the same set the relay sends. Ordered by day then identifier.
 */
export async function cityLines(
  db: Db,
  regionPrefixes: readonly string[],
  days?: readonly string[],
): Promise<{ day: string; identifier: string; status: string; version: number; id: string }[]> {
  if (regionPrefixes.length === 0) return [];
  const day = sql<string>`to_char(c.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')`;
  const r = await sql<{ day: string; identifier: string; status: string; version: number; id: string }>`
    select ${day} as day, c.identifier, c.status, c.version, c.id
    from certificates c join agencies a on a.id = c.agency_id
    where (${sql.join(
      regionPrefixes.map((p) => sql`a.region_code like ${`${p}%`}`),
      sql` or `,
    )})
    ${days ? sql`and ${day} in (${sql.join(days.length ? [...days] : [''])})` : sql``}
    order by 1, c.identifier`.execute(db);
  return r.rows.map((x) => ({ ...x, version: Number(x.version) }));
}

// ---------------------------------------------------------------- reconciliation reports

export async function insertReconciliation(
  db: Db,
  r: {
    id: string;
    side: 'city' | 'province';
    peer_id: string;
    started_at: Date;
    finished_at: Date;
    days_compared: number;
    certificates: number;
    diverging: DivergingDay[];
    repaired: number;
    status: 'ok' | 'diverged' | 'failed';
    error: string | null;
  },
): Promise<void> {
  await db
    .insertInto('sync_reconciliations')
    .values({ ...r, diverging: JSON.stringify(r.diverging) })
    .execute();
}

export async function recentReconciliations(db: Db, limit = 20, peerId?: string): Promise<ReconciliationRow[]> {
  let q = db.selectFrom('sync_reconciliations').selectAll().orderBy('started_at', 'desc').limit(limit);
  if (peerId) q = q.where('peer_id', '=', peerId);
  return q.execute();
}
