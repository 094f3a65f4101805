import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../../store/schema.js';

export type ImportKind = 'stock' | 'entries';
export type ImportStatus = 'validating' | 'invalid' | 'importing' | 'sealing' | 'done' | 'failed';

/** One problem of a table row (row, field, stable code, zh + en). */
export interface ImportProblem {
  readonly row: number;
  readonly field?: string;
  readonly code: string;
  readonly message: string;
  readonly messageEn: string;
}

export interface ImportOptionsJson {
  readonly skipInvalid: boolean;
  /** Stock: the certificate kind for rows without 证照类型. */
  readonly certificateKind?: 'property-certificate' | 'registration-proof';
  /** Stock: seal everything after the import (default true). */
  readonly seal?: boolean;
}

/** Migration 0009: a background table import with persisted progress and a lease. */
export interface ImportTable {
  id: string;
  agency_id: string;
  kind: ImportKind;
  file_name: string;
  file_blob: string;
  options: Json<ImportOptionsJson>;
  status: ImportStatus;
  total: Generated<number>;
  valid: Generated<number>;
  invalid: Generated<number>;
  imported: Generated<number>;
  replayed: Generated<number>;
  sealed: Generated<number>;
  problems: Json<ImportProblem[]>;
  rejects_blob: string | null;
  batch_id: string | null;
  error: string | null;
  requested_by: Json;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Timestamp | null;
}

export interface ImportTables {
  imports: ImportTable;
}
