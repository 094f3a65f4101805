import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

type Db = Kysely<Database>;

export async function readMeta<T>(db: Db, key: string): Promise<T | undefined> {
  const r = await db.selectFrom('app_meta').select('value').where('key', '=', key).executeTakeFirst();
  return r ? (JSON.parse(r.value) as T) : undefined;
}

export async function writeMeta(db: Db, key: string, value: unknown): Promise<void> {
  const v = JSON.stringify(value);
  await db
    .insertInto('app_meta')
    .values({ key, value: v })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: v }))
    .execute();
}

/** Whether anything was ever recorded: demo certificates go only into an empty register. */
export async function registerHasEntries(db: Db): Promise<boolean> {
  return (await db.selectFrom('register_entries').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function tokenOf(db: Db, certificateId: string): Promise<string> {
  const r = await db
    .selectFrom('certificates')
    .select('verify_token')
    .where('id', '=', certificateId)
    .executeTakeFirstOrThrow();
  return r.verify_token;
}
