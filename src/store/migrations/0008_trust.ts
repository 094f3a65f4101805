import { type Kysely, sql } from 'kysely';

/**
 * The trust store and the signing credentials of production sealing (docs/crypto.md "Production setup"):
 * - `trust_certificates`: the CA certificates (roots and intermediates, SM2/SM3withSM2) a verifier trusts for seal
 *   makers and signers, each identified by its SM3 fingerprint. Rows are never deleted — a removal is a status with a
 *   reason, so what was trusted when is kept (Huangchuan 5.2.4: changes traceable).
 * - `signing_credentials`: a certificate issued elsewhere (licensed CA) for a key that stays in the key store or the
 *   signing server — only its reference is here. Purpose `signer` (签章人/机构证书) or `seal-maker` (制章者证书).
 *   A credential starts as `awaiting-certificate` with the PKCS#10 request sent to the CA.
 * - `seals.origin`: `local` (made here) or `imported` (a ready SESeal from the provincial seal platform, Sichuan
 *   Art. 3), so the registry says where each seal came from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trust_certificates')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique()) // SM3 of the DER, hex
    .addColumn('kind', 'text', (c) => c.notNull()) // root | intermediate
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('serial_hex', 'text', (c) => c.notNull())
    .addColumn('not_before', 'timestamptz', (c) => c.notNull())
    .addColumn('not_after', 'timestamptz', (c) => c.notNull())
    .addColumn('cert_der', 'bytea', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull()) // import | dev-ca
    .addColumn('note', 'text')
    .addColumn('status', 'text', (c) => c.notNull()) // active | removed
    .addColumn('status_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('signing_credentials')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.references('agencies.id')) // null: a platform-wide seal maker
    .addColumn('purpose', 'text', (c) => c.notNull()) // signer | seal-maker
    .addColumn('key_ref', 'text', (c) => c.notNull()) // key store / signing server reference; never the key
    .addColumn('public_key', 'text', (c) => c.notNull()) // 04‖x‖y hex
    .addColumn('status', 'text', (c) => c.notNull()) // awaiting-certificate | active | retired
    .addColumn('subject', 'text', (c) => c.notNull()) // requested (CSR) or certified subject
    .addColumn('csr_der', 'bytea')
    .addColumn('cert_der', 'bytea')
    .addColumn('fingerprint', 'text')
    .addColumn('serial_hex', 'text')
    .addColumn('issuer', 'text')
    .addColumn('not_before', 'timestamptz')
    .addColumn('not_after', 'timestamptz')
    .addColumn('status_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('signing_credentials_agency_idx')
    .on('signing_credentials')
    .columns(['agency_id', 'purpose', 'status'])
    .execute();
  await db.schema
    .createIndex('signing_credentials_fp_idx')
    .on('signing_credentials')
    .column('fingerprint')
    .unique()
    .execute();

  await db.schema
    .alterTable('seals')
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('seals').dropColumn('origin').execute();
  await db.schema.dropTable('signing_credentials').execute();
  await db.schema.dropTable('trust_certificates').execute();
}
