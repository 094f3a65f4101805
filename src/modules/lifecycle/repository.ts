import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { CaseArchiveTable, PaperCollectionTable } from '../register/tables.js';

type Db = Kysely<Database> | Transaction<Database>;
export type CaseArchiveRow = Selectable<CaseArchiveTable>;
export type PaperCollectionRow = Selectable<PaperCollectionTable>;

/** Inserts the archive record of an entry's case unless it is archived already; true when this call archived it. */
export async function insertArchive(db: Db, row: Omit<CaseArchiveRow, 'actor'> & { actor: unknown }): Promise<boolean> {
  const r = await db
    .insertInto('case_archives')
    .values({ ...row, actor: JSON.stringify(row.actor) })
    .onConflict((oc) => oc.column('entry_id').doNothing())
    .returning('entry_id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function findArchive(db: Db, entryId: string): Promise<CaseArchiveRow | undefined> {
  return db.selectFrom('case_archives').selectAll().where('entry_id', '=', entryId).executeTakeFirst();
}

export async function insertPaperCollection(
  db: Db,
  row: Omit<PaperCollectionRow, 'created_at' | 'recorded_by'> & { recorded_by: unknown },
): Promise<void> {
  await db
    .insertInto('paper_collections')
    .values({ ...row, recorded_by: JSON.stringify(row.recorded_by) })
    .execute();
}

export async function findPaperCollection(db: Db, certificateId: string): Promise<PaperCollectionRow | undefined> {
  return db.selectFrom('paper_collections').selectAll().where('certificate_id', '=', certificateId).executeTakeFirst();
}
