import { type Kysely, sql } from 'kysely';

/**
 * Identity (issue 7 §1): staff accounts per agency (Henan 三(一)4), server-side sessions (only the SM3 of the token is
 * stored), holders' SMS sign-in challenges, institutions' sharing agreements and API clients (Sichuan Art. 16: sharing
 * only under a signed agreement), and objections (Nanyang Art. 16).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('staff_users')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency_id', 'uuid', (c) => c.notNull().references('agencies.id'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('roles', 'jsonb', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('totp_secret_enc', 'text')
    .addColumn('totp_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('totp_last_step', 'integer')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('staff_users_agency_idx').on('staff_users').column('agency_id').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('staff', 'holder')`))
    .addColumn('user_id', 'uuid', (c) => c.references('staff_users.id'))
    .addColumn('holder_key', 'text')
    .addColumn('mfa', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('idle_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('holder_sms_challenges')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('holder_key', 'text', (c) => c.notNull())
    .addColumn('name_enc', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('holder_sms_challenges_holder_idx')
    .on('holder_sms_challenges')
    .columns(['holder_key', 'created_at'])
    .execute();

  await db.schema
    .createTable('sharing_agreements')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agreement_no', 'text', (c) => c.notNull().unique())
    .addColumn('institution_name', 'text', (c) => c.notNull())
    .addColumn('institution_uscc', 'text', (c) => c.notNull())
    .addColumn('certificate_types', 'jsonb', (c) => c.notNull())
    .addColumn('interfaces', 'jsonb', (c) => c.notNull())
    .addColumn('region_codes', 'jsonb', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('agreement_id', 'uuid', (c) => c.references('sharing_agreements.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('public_key_hex', 'text') // SM2 public key for signed requests (optional)
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Nonces of signed requests, kept until their timestamp window has passed (replay protection).
  await db.schema
    .createTable('request_nonces')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('request_nonces_pk', ['client_id', 'nonce'])
    .execute();

  await db.schema
    .createTable('objections')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('certificate_id', 'text', (c) => c.notNull())
    .addColumn('issuing_agency_id', 'uuid', (c) => c.notNull())
    .addColumn('filer_kind', 'text', (c) => c.notNull())
    .addColumn('filer_ref', 'text', (c) => c.notNull())
    .addColumn('contact_enc', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('submitted', 'processing', 'resolved', 'rejected')`),
    )
    .addColumn('outcome', 'text')
    .addColumn('handled_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('objections_agency_idx')
    .on('objections')
    .columns(['issuing_agency_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('objections_filer_idx').on('objections').columns(['filer_kind', 'filer_ref']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'objections',
    'api_clients',
    'sharing_agreements',
    'holder_sms_challenges',
    'sessions',
    'staff_users',
  ])
    await db.schema.dropTable(t).execute();
}
