import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { CertificateEventTable, CertificateTable, SealBatchTable } from '../register/tables.js';

type Db = Kysely<Database> | Transaction<Database>;
export type CertificateRow = Selectable<CertificateTable>;
export type CertificateEventRow = Selectable<CertificateEventTable>;
export type SealBatchRow = Selectable<SealBatchTable>;

/**
 * Next serial for (agency, year, kind), gap-free: the counter row is created or incremented in the caller's
 * transaction, which holds its row lock until commit, so concurrent entries queue and a rollback returns the number.
 */
export async function allocateSerial(db: Db, agencyId: string, year: number, kind: string): Promise<number> {
  const r = await sql<{ last_serial: number }>`
    insert into certificate_counters (agency_id, year, kind, last_serial) values (${agencyId}, ${year}, ${kind}, 1)
    on conflict (agency_id, year, kind) do update set last_serial = certificate_counters.last_serial + 1
    returning last_serial`.execute(db);
  return Number(r.rows[0]!.last_serial);
}

/** Historical stock keeps its paper number; the counter moves past it so new numbers never collide. */
export async function reserveSerial(
  db: Db,
  agencyId: string,
  year: number,
  kind: string,
  serial: number,
): Promise<void> {
  await sql`
    insert into certificate_counters (agency_id, year, kind, last_serial) values (${agencyId}, ${year}, ${kind}, ${serial})
    on conflict (agency_id, year, kind) do update set last_serial = greatest(certificate_counters.last_serial, ${serial})`.execute(
    db,
  );
}

export type NewCertificate = Omit<CertificateRow, 'created_at' | 'updated_at' | 'collected' | 'pledged'>;
export type NewCertificateEvent = Omit<CertificateEventRow, 'id' | 'at'> & { at?: Date };

export async function insertCertificate(db: Db, row: NewCertificate): Promise<void> {
  await insertCertificates(db, [row]);
}

/** Many certificates in one statement (the bulk stock path; ~30 parameters a row, far below PostgreSQL's 65,535). */
export async function insertCertificates(db: Db, rows: readonly NewCertificate[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('certificates')
    .values(
      rows.map((row) => ({
        ...row,
        paper_recall: row.paper_recall === null ? null : JSON.stringify(row.paper_recall),
      })),
    )
    .execute();
}

export async function findCertificate(db: Db, id: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function lockCertificate(db: Db, id: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function findByIdentifier(db: Db, identifier: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('identifier', '=', identifier).executeTakeFirst();
}

export async function findByToken(db: Db, token: string): Promise<CertificateRow | undefined> {
  return db.selectFrom('certificates').selectAll().where('verify_token', '=', token).executeTakeFirst();
}

/** Certificates in force on a unit, of a kind: the predecessors a new registration supersedes. */
export async function liveOnUnit(
  db: Db,
  unitNo: string,
  kind: CertificateRow['kind'],
  matter?: string,
  /** Lock the rows (FOR UPDATE): an entry ending them locks them all before it writes the audit log. */
  lock = false,
): Promise<CertificateRow[]> {
  let q = db
    .selectFrom('certificates')
    .selectAll()
    .where('unit_no', '=', unitNo)
    .where('kind', '=', kind)
    .where('status', 'in', ['issued', 'suspended', 'pending-seal'])
    .orderBy('id');
  if (matter) q = q.where('matter', '=', matter);
  return lock ? q.forUpdate().execute() : q.execute();
}

export async function updateCertificate(
  db: Db,
  id: string,
  set: Partial<Omit<CertificateRow, 'id'>>,
  now: Date,
): Promise<void> {
  const { paper_recall, ...rest } = set;
  await db
    .updateTable('certificates')
    .set({
      ...rest,
      ...(paper_recall !== undefined
        ? { paper_recall: paper_recall === null ? null : JSON.stringify(paper_recall) }
        : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function insertEvent(db: Db, e: NewCertificateEvent): Promise<void> {
  await insertEvents(db, [e]);
}

export async function insertEvents(db: Db, events: readonly NewCertificateEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('certificate_events')
    .values(events.map((e) => ({ ...e, actor: JSON.stringify(e.actor) })))
    .execute();
}

export async function eventsOf(db: Db, certificateId: string): Promise<CertificateEventRow[]> {
  return db
    .selectFrom('certificate_events')
    .selectAll()
    .where('certificate_id', '=', certificateId)
    .orderBy('id')
    .execute();
}

export interface CertificateQuery {
  readonly agencyId?: string;
  readonly status?: string;
  readonly certificateNo?: string;
  readonly identifier?: string;
  readonly unitNo?: string;
  readonly holderKey?: string;
  readonly limit: number;
  readonly offset: number;
}

export async function searchCertificates(
  db: Db,
  q: CertificateQuery,
): Promise<{ rows: CertificateRow[]; total: number }> {
  let base = db.selectFrom('certificates');
  if (q.agencyId) base = base.where('agency_id', '=', q.agencyId);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.certificateNo) base = base.where('certificate_no', '=', q.certificateNo);
  if (q.identifier) base = base.where('identifier', '=', q.identifier);
  if (q.unitNo) base = base.where('unit_no', '=', q.unitNo);
  if (q.holderKey) base = base.where(sql<boolean>`holder_keys @> array[${q.holderKey}]::text[]`);
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { rows, total: Number(total.n) };
}

export async function certificatesOfHolder(db: Db, holderKey: string): Promise<CertificateRow[]> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where(sql<boolean>`holder_keys @> array[${holderKey}]::text[]`)
    .where('status', 'not in', ['draft', 'pending-seal', 'rolled-back'])
    .orderBy('created_at', 'desc')
    .execute();
}

export async function pendingIds(db: Db, agencyId: string, limit: number, only?: readonly string[]): Promise<string[]> {
  let q = db
    .selectFrom('certificates')
    .select('id')
    .where('agency_id', '=', agencyId)
    .where('status', '=', 'pending-seal')
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit);
  if (only) q = q.where('id', 'in', only.length ? [...only] : ['00000000-0000-0000-0000-000000000000']);
  return (await q.execute()).map((r) => r.id);
}

export async function countPending(db: Db, agencyId: string, only?: readonly string[]): Promise<number> {
  let q = db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('agency_id', '=', agencyId)
    .where('status', '=', 'pending-seal');
  if (only) q = q.where('id', 'in', only.length ? [...only] : ['00000000-0000-0000-0000-000000000000']);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export async function insertBatch(
  db: Db,
  row: Omit<SealBatchRow, 'created_at' | 'finished_at' | 'sealed' | 'failed' | 'last_error'>,
): Promise<void> {
  await db
    .insertInto('seal_batches')
    .values({ ...row, requested_by: JSON.stringify(row.requested_by), last_error: null })
    .execute();
}

export async function findBatch(db: Db, id: string): Promise<SealBatchRow | undefined> {
  return db.selectFrom('seal_batches').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function runningBatches(db: Db): Promise<SealBatchRow[]> {
  return db.selectFrom('seal_batches').selectAll().where('status', '=', 'running').orderBy('created_at').execute();
}

export async function bumpBatch(db: Db, id: string, sealed: number, failed: number, lastError?: string): Promise<void> {
  await db
    .updateTable('seal_batches')
    .set((eb) => ({
      sealed: eb('sealed', '+', sealed),
      failed: eb('failed', '+', failed),
      ...(lastError ? { last_error: lastError } : {}),
    }))
    .where('id', '=', id)
    .execute();
}

export async function finishBatch(db: Db, id: string, status: 'done' | 'failed', at: Date): Promise<void> {
  await db.updateTable('seal_batches').set({ status, finished_at: at }).where('id', '=', id).execute();
}
