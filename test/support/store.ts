import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store, type StoreKind } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

/**
 * The backend the suite runs on: embedded PGlite by default; a real PostgreSQL when BDCERT_TEST_PG_URL names a server
 * (an admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres). `.ci/run` runs the suite once each way.
 * Each caller gets a fresh database: an in-memory PGlite, or a new PostgreSQL database dropped afterwards.
 */
export const TEST_BACKEND: StoreKind = process.env.BDCERT_TEST_PG_URL ? 'postgres' : 'pglite';

export interface TestStore extends Store {
  /** URL of the fresh database on PostgreSQL (for child processes); undefined on PGlite. */
  readonly url: string | undefined;
  dispose(): Promise<void>;
}

export async function createTestDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const admin = process.env.BDCERT_TEST_PG_URL;
  if (!admin) return undefined;
  const name = `bdcert_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function openTestStore(opts: { migrate?: boolean; dataDir?: string } = {}): Promise<TestStore> {
  const pgdb = await createTestDatabaseUrl();
  const store = await openStore(
    pgdb ? { databaseUrl: pgdb.url, poolSize: 4 } : { dataDir: opts.dataDir ?? 'memory://' },
  );
  if (opts.migrate !== false) await migrateToLatest(store.db);
  return Object.assign(store, {
    url: pgdb?.url,
    async dispose() {
      await store.close();
      await pgdb?.drop();
    },
  });
}
