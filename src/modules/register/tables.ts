import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../store/schema.js';

type TextArray = ColumnType<string[], string[], string[]>;

export interface UnitTable {
  unit_no: string;
  agency_id: string;
  region_code: string;
  location: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RegisterEntryTable {
  id: string;
  agency_id: string;
  business_no: string;
  registration_type: string;
  right_type_code: string | null;
  unit_no: string;
  recorded_at: Timestamp;
  case_id: string | null;
  source: 'api' | 'table-import' | 'stock-import' | 'agency-system';
  payload_enc: string;
  payload_sm3: string;
  outcome: Json<EntryOutcome>;
  created_at: Generated<Date>;
}

export interface EntryOutcome {
  readonly document: 'property-certificate' | 'registration-proof' | 'none';
  readonly certificateId?: string;
  readonly certificateNo?: string;
  readonly identifier?: string;
  readonly superseded?: string[];
  readonly restrictionId?: string;
  readonly reason: string;
}

export interface RightTable {
  id: string;
  unit_no: string;
  entry_id: string;
  right_type_code: string;
  right_type: string;
  status: 'current' | 'historical';
  co_ownership: string | null;
  holders_enc: string;
  holder_keys: TextArray;
  created_at: Generated<Date>;
  ended_at: Timestamp | null;
}

export interface RestrictionTable {
  id: string;
  unit_no: string;
  entry_id: string;
  kind: 'mortgage' | 'seizure' | 'objection' | 'advance-notice';
  subtype: string | null;
  seq: number;
  status: 'active' | 'waiting' | 'released';
  source_org: string | null;
  source_case_no: string | null;
  details_enc: string | null;
  created_at: Generated<Date>;
  released_at: Timestamp | null;
  released_by_entry_id: string | null;
}

export interface CertificateCounterTable {
  agency_id: string;
  year: number;
  kind: string;
  last_serial: number;
}

export interface CertificateTable {
  id: string;
  agency_id: string;
  kind: 'property-certificate' | 'registration-proof';
  year: number;
  serial: number;
  version: number;
  certificate_no: string;
  identifier: string;
  status: string;
  collected: Generated<boolean>;
  pledged: Generated<boolean>;
  unit_no: string;
  right_id: string | null;
  entry_id: string;
  predecessor_id: string | null;
  matter: string | null;
  face_enc: string;
  holder_keys: TextArray;
  holder_display: string;
  location: string;
  registered_on: string;
  verify_token: string;
  draft_ofd: string | null;
  ofd_blob: string | null;
  pdf_blob: string | null;
  cancelled_ofd_blob: string | null;
  cancelled_pdf_blob: string | null;
  seal_id: string | null;
  sealed_at: Timestamp | null;
  collected_at: Timestamp | null;
  status_reason: string | null;
  paper_recall: Json<PaperRecall> | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Sichuan Art. 10 / Huangchuan 4.2: the paper original is handed back (交回) or voided by public notice (公告作废). */
export interface PaperRecall {
  readonly method: 'returned' | 'public-notice' | 'none-issued';
  readonly noticeRef?: string;
  readonly at: string;
}

export interface CertificateEventTable {
  id: Generated<string>;
  certificate_id: string;
  event: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  actor: Json;
  at: Generated<Date>;
}

export interface SealBatchTable {
  id: string;
  agency_id: string;
  trigger: 'clerk' | 'schedule' | 'realtime' | 'stock';
  requested_by: Json;
  certificate_ids: string[] | null;
  status: 'running' | 'done' | 'failed';
  total: Generated<number>;
  sealed: Generated<number>;
  failed: Generated<number>;
  last_error: string | null;
  created_at: Generated<Date>;
  finished_at: Timestamp | null;
}

/** Huangchuan 2.5: the case file of an entry archived after the first download or the paper collection (0009). */
export interface CaseArchiveTable {
  entry_id: string;
  agency_id: string;
  case_id: string | null;
  certificate_id: string | null;
  trigger: ArchiveTrigger;
  actor: Json;
  archived_at: Timestamp;
}
export type ArchiveTrigger = 'first-download' | 'paper-collection';

/** Huangchuan 2.3–2.4: 领取纸质证书 — the paper certificate handed over, once per certificate (0009). */
export interface PaperCollectionTable {
  id: string;
  certificate_id: string;
  entry_id: string;
  collector_enc: string;
  collector_key: string | null;
  paper_serial_no: string | null;
  note: string | null;
  recorded_by: Json;
  collected_at: Timestamp;
  created_at: Generated<Date>;
}

/** A scheduled sealing time of an agency that came due (Henan 三(一)5), fired once across nodes (0009). */
export interface SealScheduleSlotTable {
  agency_id: string;
  slot_at: Timestamp;
  /** claimed: the batch is being started (a stale claim is taken over); the rest are final. */
  outcome: 'claimed' | 'sealed' | 'nothing-pending' | 'baseline' | 'schedule-changed';
  batch_id: string | null;
  catch_up: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface RegisterTables {
  units: UnitTable;
  register_entries: RegisterEntryTable;
  rights: RightTable;
  restrictions: RestrictionTable;
  certificate_counters: CertificateCounterTable;
  certificates: CertificateTable;
  certificate_events: CertificateEventTable;
  seal_batches: SealBatchTable;
  case_archives: CaseArchiveTable;
  paper_collections: PaperCollectionTable;
  seal_schedule_slots: SealScheduleSlotTable;
}
