import { type Kysely, sql } from 'kysely';

/** Agencies (登记机构) and their electronic seals (电子印章) — the catalog context. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agencies')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('uscc', 'text', (c) => c.notNull().unique()) // 统一社会信用代码
    .addColumn('region_code', 'text', (c) => c.notNull()) // 行政区划代码 GB/T 2260
    .addColumn('level', 'text', (c) => c.notNull()) // national | province | city | county
    .addColumn('province_abbr', 'text', (c) => c.notNull()) // 省份简称, e.g. 豫
    .addColumn('city_county_name', 'text', (c) => c.notNull()) // 市县全称, e.g. 潢川县
    .addColumn('seal_name', 'text', (c) => c.notNull()) // registered name of the physical seal, e.g. 潢川县不动产登记专用章
    .addColumn('sealing_mode', 'text', (c) => c.notNull().defaultTo('scheduled')) // scheduled | realtime
    .addColumn('sealing_times', 'jsonb', (c) => c.notNull().defaultTo(sql`'["12:00","18:00"]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('agencies_region_idx').on('agencies').column('region_code').execute();

  await db.schema
    .createTable('seals')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('es_id', 'text', (c) => c.notNull()) // 印章编码 = the physical seal's number (Huangchuan 3.1)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // active 有效 | suspended 停用 | revoked 注销
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .addColumn('seal_der', 'bytea', (c) => c.notNull()) // SESeal (GB/T 38540)
    .addColumn('signer_cert_der', 'bytea', (c) => c.notNull())
    .addColumn('signer_key_ref', 'text', (c) => c.notNull()) // key store reference; the key itself never lives here
    .addColumn('picture_png', 'bytea', (c) => c.notNull())
    .addColumn('replaces_id', 'uuid', (c) => c.references('seals.id')) // renewal / replacement chain
    .addColumn('change_reason', 'text')
    .addColumn('filing_no', 'text') // 国家印章备案号 from the national seal registry
    .addColumn('filed_at', 'timestamptz')
    .addColumn('status_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('seals_agency_idx').on('seals').columns(['agency_id', 'status']).execute();
  // The same physical seal number is one seal; a renewal is a new seal row that replaces it.
  await db.schema.createIndex('seals_es_id_idx').on('seals').columns(['es_id', 'valid_from']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('seals').execute();
  await db.schema.dropTable('agencies').execute();
}
