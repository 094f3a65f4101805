import { type Kysely, sql } from 'kysely';

/**
 * Table imports run in the background, case archiving, paper collection and the sealing schedule's ticks.
 * Independent of 0006–0008 (it only refers to 0002 agencies and 0005 register/certificates), so it may be applied
 * before or after them (migrate.ts allows unordered migrations for that reason).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // An import job (Henan 三(一)3: stock in one pass, new entries as tables at least twice a day): the uploaded file is
  // a blob, progress and the first problems are persisted, and a lease says which node runs it — a node that dies
  // leaves the lease to expire and any node (the restarted one) continues from the file, idempotently.
  await db.schema
    .createTable('imports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('kind', 'text', (c) => c.notNull()) // stock | entries
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_blob', 'text', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // validating | invalid | importing | sealing | done | failed
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('valid', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('invalid', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('replayed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sealed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('problems', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`)) // the first 500
    .addColumn('rejects_blob', 'text')
    .addColumn('batch_id', 'uuid')
    .addColumn('error', 'text')
    .addColumn('requested_by', 'jsonb', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('imports_agency_idx').on('imports').columns(['agency_id', 'created_at']).execute();
  await db.schema.createIndex('imports_status_idx').on('imports').column('status').execute();

  // Huangchuan 2.5: the case file (登记案卷) of an entry is archived after the first download or paper collection.
  await db.schema
    .createTable('case_archives')
    .addColumn('entry_id', 'uuid', (c) => c.primaryKey().references('register_entries.id'))
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('case_id', 'text')
    .addColumn('certificate_id', 'uuid', (c) => c.references('certificates.id'))
    .addColumn('trigger', 'text', (c) => c.notNull()) // first-download | paper-collection
    .addColumn('actor', 'jsonb', (c) => c.notNull())
    .addColumn('archived_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // Huangchuan 2.3–2.4: the paper 不动产权证书/证明 handed to the holder (领取纸质证书), once per certificate.
  await db.schema
    .createTable('paper_collections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('certificate_id', 'uuid', (c) => c.notNull().unique().references('certificates.id'))
    .addColumn('entry_id', 'uuid', (c) => c.notNull().references('register_entries.id'))
    .addColumn('collector_enc', 'text', (c) => c.notNull()) // name and ID number of who collected, SM4
    .addColumn('collector_key', 'text') // keyed SM3 of the ID number
    .addColumn('paper_serial_no', 'text') // 编号 printed on the form
    .addColumn('note', 'text')
    .addColumn('recorded_by', 'jsonb', (c) => c.notNull())
    .addColumn('collected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per agency and scheduled sealing time that came due (Henan 三(一)5 每天2次): the key makes a tick fire
  // once across nodes, and a tick missed while no node ran is seen as missing and caught up at the next start.
  await db.schema
    .createTable('seal_schedule_slots')
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('slot_at', 'timestamptz', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull()) // sealed | nothing-pending | baseline | schedule-changed
    .addColumn('batch_id', 'uuid')
    .addColumn('catch_up', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('seal_schedule_slots_pk', ['agency_id', 'slot_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['seal_schedule_slots', 'paper_collections', 'case_archives', 'imports'])
    await db.schema.dropTable(t).execute();
}
