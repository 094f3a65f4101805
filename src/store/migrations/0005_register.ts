import { type Kysely, sql } from 'kysely';

/**
 * The register (登记簿) and the certificates it produces. Names and ID numbers are never stored in the clear:
 * `*_enc` columns hold SM4-GCM ciphertext (FieldCrypto), `*_key` columns the keyed SM3 for exact lookup.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // 不动产单元
  await db.schema
    .createTable('units')
    .addColumn('unit_no', 'text', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('region_code', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // 登簿: one row per recorded entry, idempotent on (agency, 业务号); `case_id` links the cross-region case later.
  await db.schema
    .createTable('register_entries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('business_no', 'text', (c) => c.notNull())
    .addColumn('registration_type', 'text', (c) => c.notNull())
    .addColumn('right_type_code', 'text')
    .addColumn('unit_no', 'text', (c) => c.notNull().references('units.unit_no'))
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('case_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull()) // api | table-import | stock-import
    .addColumn('payload_enc', 'text', (c) => c.notNull()) // the entry as received, encrypted
    .addColumn('payload_sm3', 'text', (c) => c.notNull()) // replay with other content is a conflict
    .addColumn('outcome', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('register_entries_business_no_uq', ['agency_id', 'business_no'])
    .execute();
  await db.schema
    .createIndex('register_entries_unit_idx')
    .on('register_entries')
    .columns(['unit_no', 'recorded_at'])
    .execute();

  // Rights with holders and shares; only one current right of a kind per unit (ownership-type rights).
  await db.schema
    .createTable('rights')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('unit_no', 'text', (c) => c.notNull().references('units.unit_no'))
    .addColumn('entry_id', 'uuid', (c) => c.notNull().references('register_entries.id'))
    .addColumn('right_type_code', 'text', (c) => c.notNull())
    .addColumn('right_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // current | historical
    .addColumn('co_ownership', 'text')
    .addColumn('holders_enc', 'text', (c) => c.notNull())
    .addColumn('holder_keys', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('rights_unit_idx').on('rights').columns(['unit_no', 'status']).execute();

  // Restrictions (抵押, 查封/轮候查封, 异议, 预告) with their order and source (court, case number) per unit.
  await db.schema
    .createTable('restrictions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('unit_no', 'text', (c) => c.notNull().references('units.unit_no'))
    .addColumn('entry_id', 'uuid', (c) => c.notNull().references('register_entries.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // mortgage | seizure | objection | advance-notice
    .addColumn('subtype', 'text') // 查封类型 1 查封 2 轮候查封 3 预查封 4 轮候预查封 5 续封
    .addColumn('seq', 'integer', (c) => c.notNull()) // arrival order per unit and kind (轮候 queues by it)
    .addColumn('status', 'text', (c) => c.notNull()) // active | waiting | released
    .addColumn('source_org', 'text') // e.g. the court
    .addColumn('source_case_no', 'text')
    .addColumn('details_enc', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('released_at', 'timestamptz')
    .addColumn('released_by_entry_id', 'uuid')
    .execute();
  await db.schema.createIndex('restrictions_unit_idx').on('restrictions').columns(['unit_no', 'kind', 'seq']).execute();

  // Gap-free numbering per agency, year and kind: the counter row is updated in the certificate's transaction.
  await db.schema
    .createTable('certificate_counters')
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('last_serial', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('certificate_counters_pk', ['agency_id', 'year', 'kind'])
    .execute();

  await db.schema
    .createTable('certificates')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('serial', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('certificate_no', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('collected', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('pledged', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('unit_no', 'text', (c) => c.notNull().references('units.unit_no'))
    .addColumn('right_id', 'uuid')
    .addColumn('entry_id', 'uuid', (c) => c.notNull().references('register_entries.id'))
    .addColumn('predecessor_id', 'uuid')
    .addColumn('matter', 'text') // 证明权利或事项 for proofs
    .addColumn('face_enc', 'text', (c) => c.notNull())
    .addColumn('holder_keys', sql`text[]`, (c) => c.notNull())
    .addColumn('holder_display', 'text', (c) => c.notNull()) // masked names for lists
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('registered_on', 'text', (c) => c.notNull())
    .addColumn('verify_token', 'text', (c) => c.notNull().unique())
    .addColumn('draft_ofd', 'text') // blob id of the unsealed file
    .addColumn('ofd_blob', 'text')
    .addColumn('pdf_blob', 'text')
    .addColumn('cancelled_ofd_blob', 'text')
    .addColumn('cancelled_pdf_blob', 'text')
    .addColumn('seal_id', 'uuid')
    .addColumn('sealed_at', 'timestamptz')
    .addColumn('collected_at', 'timestamptz')
    .addColumn('status_reason', 'text')
    .addColumn('paper_recall', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('certificates_number_uq', ['agency_id', 'kind', 'year', 'serial', 'version'])
    .execute();
  await db.schema
    .createIndex('certificates_agency_status_idx')
    .on('certificates')
    .columns(['agency_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('certificates_unit_idx').on('certificates').columns(['unit_no', 'status']).execute();
  await db.schema.createIndex('certificates_number_idx').on('certificates').column('certificate_no').execute();
  await sql`create index certificates_holder_keys_idx on certificates using gin (holder_keys)`.execute(db);

  // The certificate's own timeline (life-cycle events with reasons); the audit log holds accesses.
  await db.schema
    .createTable('certificate_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('certificate_id', 'uuid', (c) => c.notNull().references('certificates.id'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actor', 'jsonb', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('certificate_events_cert_idx')
    .on('certificate_events')
    .columns(['certificate_id', 'id'])
    .execute();

  // Sealing batches (Henan 三(一)5: sealed twice a day or in real time): resumable, progress visible.
  await db.schema
    .createTable('seal_batches')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('trigger', 'text', (c) => c.notNull()) // clerk | schedule | realtime | stock
    .addColumn('requested_by', 'jsonb', (c) => c.notNull())
    .addColumn('certificate_ids', sql`uuid[]`) // null = every pending certificate of the agency at start
    .addColumn('status', 'text', (c) => c.notNull()) // running | done | failed
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sealed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'seal_batches',
    'certificate_events',
    'certificates',
    'certificate_counters',
    'restrictions',
    'rights',
    'register_entries',
    'units',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
