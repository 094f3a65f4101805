import type { ColumnType, Generated } from 'kysely';
import type { AuditTables } from '../modules/audit/tables.js';
import type { TrustTables } from '../modules/catalog/trust-tables.js';
import type { IdentityTables } from '../modules/identity/tables.js';
import type { ImportTables } from '../modules/imports/tables.js';
import type { RegisterTables } from '../modules/register/tables.js';
import type { SyncTables } from '../modules/sync/tables.js';

/**
 * The database as Kysely sees it. Each bounded context declares its own tables next to its repository and adds them
 * here, so the one `Database` type stays the single source of truth for SQL typing.
 */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json<T = unknown> = ColumnType<T, string, string>;

export interface AppMetaTable {
  key: string;
  value: string;
  updated_at: Generated<Date>;
}

/**
 * Transactional outbox (DESIGN.md "Certificate life cycle": every step is an event in the database). Written in the
 * same transaction as the change; read by sync, notifications and statistics in `id` order.
 */
export interface OutboxTable {
  id: Generated<string>; // bigserial, as string
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: Json;
  created_at: Generated<Date>;
  /** xid8 of the writing transaction (migration 0006): the sync relay sequences only ended transactions' rows. */
  txid: Generated<string>;
}

export interface CoreTables {
  app_meta: AppMetaTable;
  outbox: OutboxTable;
}

export interface AgencyTable {
  id: string;
  name: string;
  uscc: string;
  region_code: string;
  level: 'national' | 'province' | 'city' | 'county';
  province_abbr: string;
  city_county_name: string;
  seal_name: string;
  sealing_mode: ColumnType<'scheduled' | 'realtime', 'scheduled' | 'realtime' | undefined, 'scheduled' | 'realtime'>;
  sealing_times: ColumnType<string[], string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type SealStatus = 'active' | 'suspended' | 'revoked';

export interface SealTable {
  id: string;
  agency_id: string;
  es_id: string;
  name: string;
  status: SealStatus;
  valid_from: Timestamp;
  valid_to: Timestamp;
  seal_der: Uint8Array;
  signer_cert_der: Uint8Array;
  signer_key_ref: string;
  picture_png: Uint8Array;
  replaces_id: string | null;
  change_reason: string | null;
  filing_no: string | null;
  filed_at: Timestamp | null;
  status_reason: string | null;
  /** local (made here) | imported (a ready SESeal from the provincial seal platform); migration 0008. */
  origin: ColumnType<SealOrigin, SealOrigin | undefined, SealOrigin>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type SealOrigin = 'local' | 'imported';

export interface CatalogTables {
  agencies: AgencyTable;
  seals: SealTable;
}

export type Database = CoreTables &
  CatalogTables &
  TrustTables &
  IdentityTables &
  AuditTables &
  RegisterTables &
  SyncTables &
  ImportTables;
