import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { CertificateTable, RegisterEntryTable, RestrictionTable, RightTable, UnitTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;
export type EntryRow = Selectable<RegisterEntryTable>;
export type RightRow = Selectable<RightTable>;
export type RestrictionRow = Selectable<RestrictionTable>;

export async function findEntry(db: Db, agencyId: string, businessNo: string): Promise<EntryRow | undefined> {
  return db
    .selectFrom('register_entries')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('business_no', '=', businessNo)
    .executeTakeFirst();
}

/** The entries of an agency with any of these 业务号 (the bulk stock path's replay check, one query per group). */
export async function findEntries(
  db: Db,
  agencyId: string,
  businessNos: readonly string[],
): Promise<Pick<EntryRow, 'id' | 'business_no' | 'payload_sm3' | 'outcome'>[]> {
  if (businessNos.length === 0) return [];
  return db
    .selectFrom('register_entries')
    .select(['id', 'business_no', 'payload_sm3', 'outcome'])
    .where('agency_id', '=', agencyId)
    .where('business_no', 'in', [...businessNos])
    .execute();
}

export async function getEntry(db: Db, id: string): Promise<EntryRow | undefined> {
  return db.selectFrom('register_entries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listEntries(db: Db, agencyId: string, limit: number, before?: Date): Promise<EntryRow[]> {
  let q = db
    .selectFrom('register_entries')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .orderBy('recorded_at', 'desc')
    .limit(limit);
  if (before) q = q.where('recorded_at', '<', before);
  return q.execute();
}

export async function upsertUnit(
  db: Db,
  u: { unit_no: string; agency_id: string; region_code: string; location: string },
  now: Date,
): Promise<void> {
  await db
    .insertInto('units')
    .values(u)
    .onConflict((oc) => oc.column('unit_no').doUpdateSet({ location: u.location, updated_at: now }))
    .execute();
}

/**
 * Many units in one statement. The caller passes each unit once (PostgreSQL refuses to update a row twice in one
 * ON CONFLICT statement) and sorted by unit_no, so two bulk writers lock shared units in the same order.
 */
export async function upsertUnits(
  db: Db,
  units: readonly { unit_no: string; agency_id: string; region_code: string; location: string }[],
  now: Date,
): Promise<void> {
  if (units.length === 0) return;
  await db
    .insertInto('units')
    .values([...units])
    .onConflict((oc) =>
      oc.column('unit_no').doUpdateSet((eb) => ({ location: eb.ref('excluded.location'), updated_at: now })),
    )
    .execute();
}

export async function insertEntries(db: Db, rows: readonly Omit<EntryRow, 'created_at'>[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('register_entries')
    .values(rows.map((row) => ({ ...row, outcome: JSON.stringify(row.outcome) })))
    .execute();
}

export async function insertEntry(db: Db, row: Omit<EntryRow, 'created_at'>): Promise<void> {
  await db
    .insertInto('register_entries')
    .values({ ...row, outcome: JSON.stringify(row.outcome) })
    .execute();
}

export async function currentRights(db: Db, unitNo: string): Promise<RightRow[]> {
  return db.selectFrom('rights').selectAll().where('unit_no', '=', unitNo).where('status', '=', 'current').execute();
}

export async function endRights(db: Db, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('rights').set({ status: 'historical', ended_at: at }).where('id', 'in', ids).execute();
}

export async function insertRight(db: Db, row: Omit<RightRow, 'created_at' | 'ended_at'>): Promise<void> {
  await db
    .insertInto('rights')
    .values({ ...row, ended_at: null })
    .execute();
}

export async function activeRestrictions(
  db: Db,
  unitNo: string,
  kind?: RestrictionRow['kind'],
): Promise<RestrictionRow[]> {
  let q = db
    .selectFrom('restrictions')
    .selectAll()
    .where('unit_no', '=', unitNo)
    .where('status', '!=', 'released')
    .orderBy('seq');
  if (kind) q = q.where('kind', '=', kind);
  return q.execute();
}

export async function nextRestrictionSeq(db: Db, unitNo: string, kind: RestrictionRow['kind']): Promise<number> {
  const r = await db
    .selectFrom('restrictions')
    .select(sql<number>`coalesce(max(seq), 0) + 1`.as('next'))
    .where('unit_no', '=', unitNo)
    .where('kind', '=', kind)
    .executeTakeFirstOrThrow();
  return Number(r.next);
}

export async function insertRestriction(
  db: Db,
  row: Omit<RestrictionRow, 'created_at' | 'released_at' | 'released_by_entry_id'>,
): Promise<void> {
  await db.insertInto('restrictions').values(row).execute();
}

export async function releaseRestrictions(db: Db, ids: string[], entryId: string, at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('restrictions')
    .set({ status: 'released', released_at: at, released_by_entry_id: entryId })
    .where('id', 'in', ids)
    .execute();
}

export async function activateRestriction(db: Db, id: string): Promise<void> {
  await db.updateTable('restrictions').set({ status: 'active' }).where('id', '=', id).execute();
}

/** Serialises entries on one unit (PostgreSQL row lock; PGlite is one connection anyway). */
export async function lockUnit(db: Db, unitNo: string): Promise<void> {
  await sql`select unit_no from units where unit_no = ${unitNo} for update`.execute(db);
}

/** An entry with what it recorded and produced, for the entry-detail read (register/entry-detail.ts masks it). */
export async function findEntryWithParts(
  db: Db,
  entryId: string,
): Promise<
  | {
      entry: EntryRow;
      unit: Selectable<UnitTable> | undefined;
      rights: RightRow[];
      restrictions: Omit<RestrictionRow, 'details_enc'>[];
      certificates: Selectable<CertificateTable>[];
    }
  | undefined
> {
  const entry = await db.selectFrom('register_entries').selectAll().where('id', '=', entryId).executeTakeFirst();
  if (!entry) return undefined;
  const [unit, rights, restrictions, certificates] = await Promise.all([
    db.selectFrom('units').selectAll().where('unit_no', '=', entry.unit_no).executeTakeFirst(),
    db.selectFrom('rights').selectAll().where('entry_id', '=', entryId).orderBy('created_at').execute(),
    db
      .selectFrom('restrictions')
      .select([
        'id',
        'unit_no',
        'entry_id',
        'kind',
        'subtype',
        'seq',
        'status',
        'source_org',
        'source_case_no',
        'created_at',
        'released_at',
        'released_by_entry_id',
      ])
      .where('entry_id', '=', entryId)
      .orderBy('seq')
      .execute(),
    db.selectFrom('certificates').selectAll().where('entry_id', '=', entryId).orderBy('created_at').execute(),
  ]);
  return { entry, unit, rights, restrictions, certificates };
}
