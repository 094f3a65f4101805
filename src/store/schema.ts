import type { ColumnType, Generated } from 'kysely';

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
}

export interface CoreTables {
  app_meta: AppMetaTable;
  outbox: OutboxTable;
}

export type Database = CoreTables;
