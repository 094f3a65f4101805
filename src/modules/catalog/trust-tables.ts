import type { Generated } from 'kysely';
import type { Timestamp } from '../../store/schema.js';

/** Tables of migration 0008: the trust store and the signing credentials (docs/crypto.md "Production setup"). */
export type TrustKind = 'root' | 'intermediate';
export type TrustStatus = 'active' | 'removed';

export interface TrustCertificateTable {
  id: string;
  /** SM3 of the DER certificate, hex. */
  fingerprint: string;
  kind: TrustKind;
  subject: string;
  issuer: string;
  serial_hex: string;
  not_before: Timestamp;
  not_after: Timestamp;
  cert_der: Uint8Array;
  /** `import` (an operator imported it) or `dev-ca` (the demo's development root, so demo and production share one path). */
  origin: 'import' | 'dev-ca';
  note: string | null;
  status: TrustStatus;
  status_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type CredentialPurpose = 'signer' | 'seal-maker';
export type CredentialStatus = 'awaiting-certificate' | 'active' | 'retired';

export interface SigningCredentialTable {
  id: string;
  /** null: a platform-wide seal maker (e.g. the province's 制章 certificate). */
  agency_id: string | null;
  purpose: CredentialPurpose;
  key_ref: string;
  /** Uncompressed SM2 point 04‖x‖y, hex. */
  public_key: string;
  status: CredentialStatus;
  subject: string;
  csr_der: Uint8Array | null;
  cert_der: Uint8Array | null;
  fingerprint: string | null;
  serial_hex: string | null;
  issuer: string | null;
  not_before: Timestamp | null;
  not_after: Timestamp | null;
  status_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TrustTables {
  trust_certificates: TrustCertificateTable;
  signing_credentials: SigningCredentialTable;
}
