import type { ColumnType, Generated } from 'kysely';

export type AuditResult = 'success' | 'denied' | 'error';

export interface AuditEntryTable {
  seq: ColumnType<string, string, never>; // bigint as string; assigned under the chain lock
  id: string;
  at: ColumnType<Date, Date, never>;
  actor_kind: string;
  actor_id: string | null;
  actor_agency_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  certificate_id: string | null;
  issuing_agency_id: string | null;
  holder_key: string | null;
  purpose: string | null;
  case_no: string | null;
  result: AuditResult;
  reason: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: ColumnType<unknown, string | null, never>;
  prev_hash: string;
  hash: string;
}

export interface AuditAnchorTable {
  up_to_seq: string;
  hash: string;
  created_at: Generated<Date>;
}

export interface AuditTables {
  'audit.entries': AuditEntryTable;
  'audit.anchors': AuditAnchorTable;
}
