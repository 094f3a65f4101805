import type { ColumnType, Generated } from 'kysely';
import type { ShareInterface, StaffRole } from '../../domain/access.js';

type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type JsonArray<T> = ColumnType<T[], string, string>;

export interface StaffUserTable {
  id: string;
  agency_id: string;
  username: string;
  display_name: string;
  roles: JsonArray<StaffRole>;
  /** argon2id PHC string. */
  password_hash: string;
  /** TOTP secret, FieldCrypto-encrypted. */
  totp_secret_enc: string | null;
  totp_enabled: Generated<boolean>;
  /** Last accepted TOTP time step: a code is never accepted twice (replay). */
  totp_last_step: number | null;
  failed_attempts: Generated<number>;
  locked_until: NullableTs;
  disabled: Generated<boolean>;
  last_login_at: NullableTs;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionTable {
  id: string;
  /** SM3 hex of the opaque token; the token itself is never stored. */
  token_hash: string;
  kind: 'staff' | 'holder';
  user_id: string | null;
  holder_key: string | null;
  mfa: Generated<boolean>;
  created_at: Generated<Date>;
  expires_at: Ts;
  idle_expires_at: Ts;
  revoked_at: NullableTs;
  ip: string | null;
  /** Step-up (migration 0007; issue 8): batch sealing is allowed in this session until then. */
  elevated_until: NullableTs;
}

export interface HolderSmsChallengeTable {
  id: string;
  holder_key: string;
  name_enc: string;
  code_hash: string;
  attempts: Generated<number>;
  expires_at: Ts;
  consumed_at: NullableTs;
  created_at: Generated<Date>;
}

export interface SharingAgreementTable {
  id: string;
  agreement_no: string;
  institution_name: string;
  institution_uscc: string;
  certificate_types: JsonArray<string>;
  interfaces: JsonArray<ShareInterface>;
  region_codes: JsonArray<string>;
  valid_from: Ts;
  valid_until: Ts;
  revoked_at: NullableTs;
  created_at: Generated<Date>;
}

export interface ApiClientTable {
  client_id: string;
  agreement_id: string | null;
  name: string;
  /** SM3 hex of the 256-bit random secret (high entropy, so a fast hash suffices). */
  secret_hash: string;
  /** Uncompressed SM2 public key (hex, 04‖x‖y) for signed requests; null when the client uses its secret only. */
  public_key_hex: string | null;
  revoked_at: NullableTs;
  created_at: Generated<Date>;
}

export interface RequestNonceTable {
  client_id: string;
  nonce: string;
  expires_at: Ts;
}

export type ObjectionStatus = 'submitted' | 'processing' | 'resolved' | 'rejected';

export interface ObjectionTable {
  id: string;
  certificate_id: string;
  issuing_agency_id: string;
  filer_kind: 'holder' | 'institution' | 'staff';
  filer_ref: string;
  contact_enc: string | null;
  reason: string;
  status: ObjectionStatus;
  outcome: string | null;
  handled_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  closed_at: NullableTs;
}

export interface IdentityTables {
  staff_users: StaffUserTable;
  sessions: SessionTable;
  holder_sms_challenges: HolderSmsChallengeTable;
  sharing_agreements: SharingAgreementTable;
  api_clients: ApiClientTable;
  request_nonces: RequestNonceTable;
  objections: ObjectionTable;
}
