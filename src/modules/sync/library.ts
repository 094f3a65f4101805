import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { ProvinceAgencyTable, ProvinceCertificateTable, ProvinceSealTable } from './tables.js';

/**
 * The province library (省电子证照库, Sichuan Art. 7, 12; Henan 三(一)6): the aggregated catalog (agencies and the
 * public information of their seals) and every city's certificates — catalog items, face data (encrypted under the
 * province's own key, with its own keyed holder index) and status — keyed by identifier, with the owning node. The
 * files stay with the issuing city (docs/sync.md "Files stay with the city").
 */
type Db = Kysely<Database> | Transaction<Database>;
export type LibraryCertificateRow = Selectable<ProvinceCertificateTable>;
export type LibraryAgencyRow = Selectable<ProvinceAgencyTable>;
export type LibrarySealRow = Selectable<ProvinceSealTable>;

export async function findAgency(db: Db, uscc: string): Promise<LibraryAgencyRow | undefined> {
  return db.selectFrom('province_agencies').selectAll().where('uscc', '=', uscc).executeTakeFirst();
}

export async function listAgencies(db: Db): Promise<LibraryAgencyRow[]> {
  return db.selectFrom('province_agencies').selectAll().orderBy('region_code').execute();
}

export async function insertAgency(db: Db, row: Omit<LibraryAgencyRow, 'updated_at'> & { updated_at: Date }) {
  await db.insertInto('province_agencies').values(row).execute();
}

export async function updateAgency(
  db: Db,
  uscc: string,
  set: Pick<LibraryAgencyRow, 'name' | 'region_code' | 'level' | 'source_seq' | 'updated_at'>,
): Promise<void> {
  await db.updateTable('province_agencies').set(set).where('uscc', '=', uscc).execute();
}

export async function findSeal(db: Db, nodeId: string, sealId: string): Promise<LibrarySealRow | undefined> {
  return db
    .selectFrom('province_seals')
    .selectAll()
    .where('node_id', '=', nodeId)
    .where('seal_id', '=', sealId)
    .executeTakeFirst();
}

export async function upsertSeal(db: Db, row: LibrarySealRow): Promise<void> {
  const { node_id: _n, seal_id: _s, ...rest } = row;
  await db
    .insertInto('province_seals')
    .values(row)
    .onConflict((oc) => oc.columns(['node_id', 'seal_id']).doUpdateSet(rest))
    .execute();
}

export async function lockCertificate(db: Db, identifier: string): Promise<LibraryCertificateRow | undefined> {
  return db
    .selectFrom('province_certificates')
    .selectAll()
    .where('identifier', '=', identifier)
    .forUpdate()
    .executeTakeFirst();
}

export async function findCertificate(db: Db, identifier: string): Promise<LibraryCertificateRow | undefined> {
  return db.selectFrom('province_certificates').selectAll().where('identifier', '=', identifier).executeTakeFirst();
}

type CertificateWrite = Omit<LibraryCertificateRow, 'first_seen_at' | 'catalog' | 'files' | 'seal'> & {
  catalog: Record<string, unknown>;
  files: LibraryCertificateRow['files'];
  seal: LibraryCertificateRow['seal'];
};

const encode = (r: CertificateWrite) => ({
  ...r,
  catalog: JSON.stringify(r.catalog),
  files: JSON.stringify(r.files),
  seal: JSON.stringify(r.seal),
});

export async function insertCertificate(db: Db, row: CertificateWrite): Promise<void> {
  await db.insertInto('province_certificates').values(encode(row)).execute();
}

export async function updateCertificate(db: Db, row: CertificateWrite): Promise<void> {
  const { id: _id, identifier, ...rest } = encode(row);
  await db.updateTable('province_certificates').set(rest).where('identifier', '=', identifier).execute();
}

/** Certificates of a holder (province's keyed index) issued by other nodes than `exceptNode`. */
export async function ofHolder(db: Db, holderKey: string, exceptNode: string): Promise<LibraryCertificateRow[]> {
  return db
    .selectFrom('province_certificates')
    .selectAll()
    .where(sql<boolean>`holder_keys @> array[${holderKey}]::text[]`)
    .where('node_id', '!=', exceptNode)
    .where('status', 'not in', ['draft', 'pending-seal', 'rolled-back'])
    .orderBy('source_created_at', 'desc')
    .execute();
}

/** Reconciliation lines of a node, ordered by day then identifier (optionally only some days). */
export async function nodeLines(
  db: Db,
  nodeId: string,
  days?: readonly string[],
): Promise<{ day: string; identifier: string; status: string; version: number }[]> {
  let q = db
    .selectFrom('province_certificates')
    .select(['day', 'identifier', 'status', 'version'])
    .where('node_id', '=', nodeId)
    .orderBy('day')
    .orderBy('identifier');
  if (days) q = q.where('day', 'in', days.length ? [...days] : ['']);
  return q.execute();
}

export interface LibraryQuery {
  readonly nodeId?: string;
  readonly status?: string;
  readonly identifier?: string;
  readonly limit: number;
  readonly offset: number;
}

export async function searchLibrary(
  db: Db,
  q: LibraryQuery,
): Promise<{ rows: LibraryCertificateRow[]; total: number }> {
  let base = db.selectFrom('province_certificates');
  if (q.nodeId) base = base.where('node_id', '=', q.nodeId);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.identifier) base = base.where('identifier', '=', q.identifier);
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('source_created_at', 'desc')
    .orderBy('identifier')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { rows, total: Number(total.n) };
}

export async function countsByNode(db: Db): Promise<{ node_id: string; n: number }[]> {
  const rows = await db
    .selectFrom('province_certificates')
    .select(['node_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('node_id')
    .execute();
  return rows.map((r) => ({ node_id: r.node_id, n: Number(r.n) }));
}
