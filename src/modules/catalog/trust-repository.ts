import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type {
  CredentialPurpose,
  CredentialStatus,
  SigningCredentialTable,
  TrustCertificateTable,
  TrustStatus,
} from './trust-tables.js';

/** SQL of the trust store and the signing credentials (migration 0008). */
export type TrustRow = Selectable<TrustCertificateTable>;
export type CredentialRow = Selectable<SigningCredentialTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function listTrusted(db: Db, opts: { includeRemoved?: boolean } = {}): Promise<TrustRow[]> {
  let q = db.selectFrom('trust_certificates').selectAll().orderBy('kind', 'desc').orderBy('created_at');
  if (!opts.includeRemoved) q = q.where('status', '=', 'active');
  return q.execute();
}

export async function findTrusted(db: Db, id: string): Promise<TrustRow | undefined> {
  return db.selectFrom('trust_certificates').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findTrustedByFingerprint(db: Db, fingerprint: string): Promise<TrustRow | undefined> {
  return db.selectFrom('trust_certificates').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst();
}

/** Inserts unless the fingerprint is there already; true when this call inserted it. */
export async function insertTrusted(
  db: Db,
  row: Omit<Insertable<TrustCertificateTable>, 'created_at' | 'updated_at'>,
): Promise<boolean> {
  const r = await db
    .insertInto('trust_certificates')
    .values(row)
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function setTrustedStatus(
  db: Db,
  id: string,
  status: TrustStatus,
  reason: string | null,
  at: Date,
): Promise<void> {
  await db
    .updateTable('trust_certificates')
    .set({ status, status_reason: reason, updated_at: at })
    .where('id', '=', id)
    .execute();
}

export async function insertCredential(
  db: Db,
  row: Omit<Insertable<SigningCredentialTable>, 'created_at' | 'updated_at'>,
): Promise<void> {
  await db.insertInto('signing_credentials').values(row).execute();
}

export async function findCredential(db: Db, id: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('signing_credentials').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findCredentialByFingerprint(db: Db, fingerprint: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('signing_credentials').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst();
}

/** An agency's credentials (and, with `includePlatform`, the platform-wide ones), newest first. */
export async function listCredentials(
  db: Db,
  opts: { agencyId?: string; includePlatform?: boolean; purpose?: CredentialPurpose; status?: CredentialStatus },
): Promise<CredentialRow[]> {
  let q = db.selectFrom('signing_credentials').selectAll().orderBy('created_at', 'desc');
  if (opts.agencyId !== undefined) {
    const agencyId = opts.agencyId;
    q = opts.includePlatform
      ? q.where((eb) => eb.or([eb('agency_id', '=', agencyId), eb('agency_id', 'is', null)]))
      : q.where('agency_id', '=', agencyId);
  }
  if (opts.purpose) q = q.where('purpose', '=', opts.purpose);
  if (opts.status) q = q.where('status', '=', opts.status);
  return q.execute();
}

export async function certifyCredential(
  db: Db,
  id: string,
  c: {
    certDer: Uint8Array;
    fingerprint: string;
    serialHex: string;
    subject: string;
    issuer: string;
    notBefore: Date;
    notAfter: Date;
    at: Date;
  },
): Promise<void> {
  await db
    .updateTable('signing_credentials')
    .set({
      status: 'active',
      cert_der: c.certDer,
      fingerprint: c.fingerprint,
      serial_hex: c.serialHex,
      subject: c.subject,
      issuer: c.issuer,
      not_before: c.notBefore,
      not_after: c.notAfter,
      updated_at: c.at,
    })
    .where('id', '=', id)
    .execute();
}

export async function setCredentialStatus(
  db: Db,
  id: string,
  status: CredentialStatus,
  reason: string,
  at: Date,
): Promise<void> {
  await db
    .updateTable('signing_credentials')
    .set({ status, status_reason: reason, updated_at: at })
    .where('id', '=', id)
    .execute();
}
