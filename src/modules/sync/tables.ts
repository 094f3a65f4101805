import type { ColumnType, Generated } from 'kysely';

/** Tables of the sync context (migration 0006_sync). bigint columns come back as strings (see store/database.ts). */
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Big = ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
type JsonCol<T> = ColumnType<T, string, string>;
type TextArray = ColumnType<string[], string[], string[]>;

/** City side: the one upstream province, the sequence counter and the delivery state. */
export interface SyncRelayTable {
  id: string;
  province_node_id: string | null;
  province_name: string | null;
  province_url: string | null;
  province_public_key: string | null;
  region_codes: ColumnType<string[], string | undefined, string>;
  joined_at: NullableTs;
  next_seq: Big;
  floor_txid: ColumnType<string, string | undefined, string>;
  acked_seq: Big;
  lease_owner: string | null;
  lease_until: NullableTs;
  last_attempt_at: NullableTs;
  last_success_at: NullableTs;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  failures_total: Big;
  last_error: string | null;
  last_error_at: NullableTs;
  next_attempt_at: NullableTs;
  pushed_total: Big;
  updated_at: Ts;
}

export interface SyncOutboundTable {
  seq: Big;
  outbox_id: string | null;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  event_at: Ts;
  sequenced_at: Generated<Date>;
}

export type PeerKind = 'city' | 'agency-system';

export interface SyncPeerTable {
  peer_id: string;
  kind: PeerKind;
  name: string;
  region_codes: ColumnType<string[], string | undefined, string>;
  base_url: string | null;
  agency_id: string | null;
  public_key_hex: string;
  is_self: ColumnType<boolean, boolean | undefined, boolean>;
  enrolled_at: Generated<Date>;
  revoked_at: NullableTs;
  acked_seq: Big;
  max_seq: Big;
  last_received_at: NullableTs;
  last_event_at: NullableTs;
  messages_total: Big;
  duplicates_total: Big;
  rejected_total: Big;
  last_error: string | null;
  last_error_at: NullableTs;
}

export type InboundOutcome = 'applied' | 'stale' | 'skipped' | 'rejected';

export interface SyncInboundTable {
  peer_id: string;
  seq: Big;
  type: string;
  ref: string;
  outcome: InboundOutcome;
  error: string | null;
  event_at: Ts;
  received_at: Generated<Date>;
}

export interface SyncEnrolmentTokenTable {
  token_sm3: string;
  label: string;
  region_codes: JsonCol<string[]>;
  created_by: JsonCol<unknown>;
  created_at: Generated<Date>;
  expires_at: Ts;
  used_at: NullableTs;
  used_by: string | null;
}

export interface SyncNonceTable {
  peer_id: string;
  nonce: string;
  expires_at: Ts;
}

export interface ProvinceAgencyTable {
  id: string;
  uscc: string;
  node_id: string;
  name: string;
  region_code: string;
  level: string;
  source_seq: Big;
  updated_at: Ts;
}

export interface ProvinceSealTable {
  node_id: string;
  seal_id: string;
  es_id: string;
  agency_uscc: string;
  name: string;
  status: string;
  valid_from: Ts;
  valid_to: Ts;
  filing_no: string | null;
  seal_sm3: string;
  source_seq: Big;
  updated_at: Ts;
}

export interface CertificateFiles {
  readonly ofdSm3: string | null;
  readonly pdfSm3: string | null;
  readonly cancelledOfdSm3: string | null;
  readonly cancelledPdfSm3: string | null;
}

export interface ProvinceCertificateTable {
  id: string;
  identifier: string;
  node_id: string;
  agency_uscc: string;
  kind: 'property-certificate' | 'registration-proof';
  version: number;
  certificate_no: string;
  status: string;
  catalog_status: number;
  collected: boolean;
  pledged: boolean;
  matter: string | null;
  unit_no: string;
  location: string;
  registered_on: string;
  holder_display: string;
  holder_keys: TextArray;
  face_enc: string;
  catalog: JsonCol<Record<string, unknown>>;
  files: JsonCol<CertificateFiles>;
  seal: JsonCol<{ esId: string; name: string } | null>;
  sealed_at: NullableTs;
  status_reason: string | null;
  predecessor: string | null;
  verify_token_sm3: string | null;
  source_created_at: Ts;
  source_updated_at: Ts;
  day: string;
  source_seq: Big;
  first_seen_at: Generated<Date>;
  updated_at: Ts;
}

export interface DivergingDay {
  readonly day: string;
  readonly city: { readonly count: number; readonly digest: string };
  readonly province: { readonly count: number; readonly digest: string };
  /** At the city but not at the province, or at the province in another status or version. */
  readonly missing: number;
  readonly different: number;
  /** At the province but unknown to the city. */
  readonly extra: number;
}

export interface SyncReconciliationTable {
  id: string;
  side: 'city' | 'province';
  peer_id: string;
  started_at: Ts;
  finished_at: NullableTs;
  days_compared: ColumnType<number, number | undefined, number>;
  certificates: ColumnType<number, number | undefined, number>;
  diverging: JsonCol<DivergingDay[]>;
  repaired: ColumnType<number, number | undefined, number>;
  status: 'ok' | 'diverged' | 'failed';
  error: string | null;
}

export interface SyncTables {
  sync_relay: SyncRelayTable;
  sync_outbound: SyncOutboundTable;
  sync_peers: SyncPeerTable;
  sync_inbound: SyncInboundTable;
  sync_enrolment_tokens: SyncEnrolmentTokenTable;
  sync_nonces: SyncNonceTable;
  province_agencies: ProvinceAgencyTable;
  province_seals: ProvinceSealTable;
  province_certificates: ProvinceCertificateTable;
  sync_reconciliations: SyncReconciliationTable;
}
