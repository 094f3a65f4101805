import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AgencyTable, Database, SealStatus, SealTable } from '../../store/schema.js';

export type AgencyRow = Selectable<AgencyTable>;
export type SealRow = Selectable<SealTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function findAgency(db: Db, id: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAgencyByUscc(db: Db, uscc: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('uscc', '=', uscc).executeTakeFirst();
}

export async function listAgencies(db: Db, regionPrefix?: string): Promise<AgencyRow[]> {
  let q = db.selectFrom('agencies').selectAll().orderBy('region_code').orderBy('name');
  if (regionPrefix) q = q.where('region_code', 'like', `${regionPrefix}%`);
  return q.execute();
}

export async function insertAgency(db: Db, row: Omit<AgencyRow, 'created_at' | 'updated_at'>): Promise<void> {
  await db
    .insertInto('agencies')
    .values({ ...row, sealing_times: JSON.stringify(row.sealing_times) })
    .execute();
}

export async function findSeal(db: Db, id: string): Promise<SealRow | undefined> {
  return db.selectFrom('seals').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSealByEsId(db: Db, esId: string): Promise<SealRow[]> {
  return db.selectFrom('seals').selectAll().where('es_id', '=', esId).orderBy('valid_from', 'desc').execute();
}

export async function listSeals(db: Db, agencyId: string): Promise<SealRow[]> {
  return db.selectFrom('seals').selectAll().where('agency_id', '=', agencyId).orderBy('valid_from', 'desc').execute();
}

/** The seal to use now: active, inside its validity period; the newest if several overlap during a renewal. */
export async function findActiveSeal(db: Db, agencyId: string, at: Date): Promise<SealRow | undefined> {
  return db
    .selectFrom('seals')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('status', '=', 'active')
    .where('valid_from', '<=', at)
    .where('valid_to', '>', at)
    .orderBy('valid_from', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertSeal(db: Db, row: Omit<SealRow, 'created_at' | 'updated_at'>): Promise<void> {
  await db.insertInto('seals').values(row).execute();
}

export async function updateSealStatus(
  db: Db,
  id: string,
  status: SealStatus,
  reason: string,
  at: Date,
): Promise<void> {
  await db.updateTable('seals').set({ status, status_reason: reason, updated_at: at }).where('id', '=', id).execute();
}

export async function recordFiling(db: Db, id: string, filingNo: string, filedAt: Date): Promise<void> {
  await db
    .updateTable('seals')
    .set({ filing_no: filingNo, filed_at: filedAt, updated_at: filedAt })
    .where('id', '=', id)
    .execute();
}
