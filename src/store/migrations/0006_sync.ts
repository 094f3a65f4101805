import { type Kysely, sql } from 'kysely';

/**
 * City → province synchronisation (docs/sync.md; Henan 三(一)6 and 三(二)3: each city pushes catalog and face data to
 * the province system; Sichuan Art. 7, 12: a provincial library the cities call through interfaces).
 *
 * - `outbox.txid`: the writing transaction's id, so the relay sequences only rows of transactions that have ended
 *   (bigserial ids commit out of order; an id high-water mark would skip a row committed late).
 * - city side: `sync_relay` (the upstream province, the gap-free sequence, delivery state) and `sync_outbound`
 *   (outbox events in their per-node sequence).
 * - receiving side (province, and a city for self-built agency systems): `sync_peers`, `sync_inbound` (idempotency on
 *   (peer, seq)), enrolment tokens and request nonces.
 * - province library: agencies, seals' public information, certificates' catalog, face data (re-encrypted under the
 *   province's own key) and status, keyed by identifier with the owning node.
 * - `sync_reconciliations`: every comparison of counts and digests per city and day, on both sides.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column txid xid8 not null default pg_current_xact_id()`.execute(db);
  await sql`create index outbox_txid_idx on outbox (txid)`.execute(db);

  await db.schema
    .createTable('sync_relay')
    .addColumn('id', 'text', (c) => c.primaryKey()) // 'upstream': the one province a city pushes to
    .addColumn('province_node_id', 'text')
    .addColumn('province_name', 'text')
    .addColumn('province_url', 'text') // null: the province is this process (BDCERT_ROLE=all)
    .addColumn('province_public_key', 'text')
    .addColumn('region_codes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('joined_at', 'timestamptz')
    .addColumn('next_seq', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('floor_txid', sql`xid8`, (c) => c.notNull().defaultTo(sql`'0'::xid8`))
    .addColumn('acked_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('pushed_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sync_outbound')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('outbox_id', 'bigint', (c) => c.unique()) // null for repairs and catalog snapshots
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sequenced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sync_peers')
    .addColumn('peer_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull()) // city | agency-system
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('region_codes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('base_url', 'text')
    .addColumn('agency_id', 'uuid', (c) => c.references('agencies.id'))
    .addColumn('public_key_hex', 'text', (c) => c.notNull())
    .addColumn('is_self', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('enrolled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('acked_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('max_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_received_at', 'timestamptz')
    .addColumn('last_event_at', 'timestamptz')
    .addColumn('messages_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('duplicates_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('sync_inbound')
    .addColumn('peer_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull()) // applied | stale | skipped | rejected
    .addColumn('error', 'text')
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sync_inbound_pk', ['peer_id', 'seq'])
    .execute();
  await sql`create index sync_inbound_rejected_idx on sync_inbound (peer_id, received_at) where outcome = 'rejected'`.execute(
    db,
  );

  await db.schema
    .createTable('sync_enrolment_tokens')
    .addColumn('token_sm3', 'text', (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('region_codes', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('used_by', 'text')
    .execute();

  await db.schema
    .createTable('sync_nonces')
    .addColumn('peer_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_nonces_pk', ['peer_id', 'nonce'])
    .execute();

  // ---- province library (省电子证照库) ----
  await db.schema
    .createTable('province_agencies')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('uscc', 'text', (c) => c.notNull().unique())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('region_code', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('source_seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('province_seals')
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('seal_id', 'text', (c) => c.notNull())
    .addColumn('es_id', 'text', (c) => c.notNull())
    .addColumn('agency_uscc', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .addColumn('filing_no', 'text')
    .addColumn('seal_sm3', 'text', (c) => c.notNull())
    .addColumn('source_seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('province_seals_pk', ['node_id', 'seal_id'])
    .execute();
  await db.schema.createIndex('province_seals_es_idx').on('province_seals').column('es_id').execute();

  await db.schema
    .createTable('province_certificates')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('identifier', 'text', (c) => c.notNull().unique())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('agency_uscc', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('certificate_no', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('catalog_status', 'integer', (c) => c.notNull())
    .addColumn('collected', 'boolean', (c) => c.notNull())
    .addColumn('pledged', 'boolean', (c) => c.notNull())
    .addColumn('matter', 'text')
    .addColumn('unit_no', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('registered_on', 'text', (c) => c.notNull())
    .addColumn('holder_display', 'text', (c) => c.notNull())
    .addColumn('holder_keys', sql`text[]`, (c) => c.notNull())
    .addColumn('face_enc', 'text', (c) => c.notNull())
    .addColumn('catalog', 'jsonb', (c) => c.notNull())
    .addColumn('files', 'jsonb', (c) => c.notNull())
    .addColumn('seal', 'jsonb')
    .addColumn('sealed_at', 'timestamptz')
    .addColumn('status_reason', 'text')
    .addColumn('predecessor', 'text')
    .addColumn('verify_token_sm3', 'text')
    .addColumn('source_created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('source_updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull()) // the city's issue day (China Standard Time): reconciliation unit
    .addColumn('source_seq', 'bigint', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('province_certificates_node_day_idx')
    .on('province_certificates')
    .columns(['node_id', 'day', 'identifier'])
    .execute();
  await sql`create index province_certificates_holder_idx on province_certificates using gin (holder_keys)`.execute(db);
  await db.schema
    .createIndex('province_certificates_token_idx')
    .on('province_certificates')
    .column('verify_token_sm3')
    .execute();

  await db.schema
    .createTable('sync_reconciliations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('side', 'text', (c) => c.notNull()) // city | province
    .addColumn('peer_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('days_compared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('certificates', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('diverging', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('repaired', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull()) // ok | diverged | failed
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('sync_reconciliations_peer_idx')
    .on('sync_reconciliations')
    .columns(['peer_id', 'started_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'sync_reconciliations',
    'province_certificates',
    'province_seals',
    'province_agencies',
    'sync_nonces',
    'sync_enrolment_tokens',
    'sync_inbound',
    'sync_peers',
    'sync_outbound',
    'sync_relay',
  ]) {
    await db.schema.dropTable(t).execute();
  }
  await sql`alter table outbox drop column txid`.execute(db);
}
