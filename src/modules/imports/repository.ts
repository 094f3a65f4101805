import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { ImportKind, ImportProblem, ImportStatus, ImportTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;
export type ImportRow = Selectable<ImportTable>;

/** Statuses of a run that has not ended: a node holding no live lease may take it over. */
export const UNFINISHED: readonly ImportStatus[] = ['validating', 'importing', 'sealing'];

export async function insertImport(
  db: Db,
  row: Pick<ImportRow, 'id' | 'agency_id' | 'kind' | 'file_name' | 'file_blob' | 'options' | 'requested_by'>,
): Promise<void> {
  await db
    .insertInto('imports')
    .values({
      ...row,
      options: JSON.stringify(row.options),
      requested_by: JSON.stringify(row.requested_by),
      status: 'validating',
      problems: '[]',
      rejects_blob: null,
      batch_id: null,
      error: null,
      lease_owner: null,
      lease_until: null,
      finished_at: null,
    })
    .execute();
}

export async function findImport(db: Db, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listImports(
  db: Db,
  q: { agencyId?: string; kind?: ImportKind; limit: number },
): Promise<ImportRow[]> {
  let s = db.selectFrom('imports').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(q.limit);
  if (q.agencyId) s = s.where('agency_id', '=', q.agencyId);
  if (q.kind) s = s.where('kind', '=', q.kind);
  return s.execute();
}

/**
 * Takes (or renews) the run of an unfinished import for `owner` until `until`, unless another node holds a lease
 * that has not expired. Returns the row when this node may run it.
 */
export async function claimImport(
  db: Db,
  id: string,
  owner: string,
  now: Date,
  until: Date,
): Promise<ImportRow | undefined> {
  return db
    .updateTable('imports')
    .set((eb) => ({ lease_owner: owner, lease_until: until, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('status', 'in', [...UNFINISHED])
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .returningAll()
    .executeTakeFirst();
}

/**
 * Unfinished imports whose lease has expired (their node stopped), and those leased to `owner` itself (this node,
 * restarted: it need not wait for its own lease to expire): candidates to continue.
 */
export async function orphanedImports(db: Db, now: Date, owner?: string): Promise<ImportRow[]> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('status', 'in', [...UNFINISHED])
    .where((eb) =>
      eb.or([
        eb('lease_until', 'is', null),
        eb('lease_until', '<', now),
        ...(owner ? [eb('lease_owner', '=', owner)] : []),
      ]),
    )
    .orderBy('created_at')
    .execute();
}

export type ImportProgress = Omit<Updateable<ImportTable>, 'problems' | 'options' | 'requested_by'> & {
  problems?: readonly ImportProblem[];
};

/** Progress of the run held by `owner` (a node that lost its lease writes nothing). */
export async function updateImport(
  db: Db,
  id: string,
  owner: string,
  set: ImportProgress,
  now: Date,
): Promise<boolean> {
  const { problems, ...rest } = set;
  const r = await db
    .updateTable('imports')
    .set({ ...rest, ...(problems ? { problems: JSON.stringify(problems) } : {}), updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
