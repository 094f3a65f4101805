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

/**
 * Test databases are named `<prefix>_<pid>_<random>`; BDCERT_TEST_DB_PREFIX (default `bdcert_t`) lets a CI run give
 * its own prefix, so its cleanup drops only its own databases and never those of a run beside it.
 */
export const TEST_DB_PREFIX = (() => {
  const p = process.env.BDCERT_TEST_DB_PREFIX || 'bdcert_t';
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(p)) throw new Error(`BDCERT_TEST_DB_PREFIX=${p}: lower-case letters, digits, _`);
  return p;
})();

export async function createTestDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const admin = process.env.BDCERT_TEST_PG_URL;
  if (!admin) return undefined;
  const name = `${TEST_DB_PREFIX}_${process.pid}_${randomBytes(4).toString('hex')}`;
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
      // A closed pool's connections end asynchronously (pg-pool resolves end() before the server has seen them go);
      // forcing the drop while one is still open terminates it, and that client, no longer in a pool, throws the
      // server's FATAL as an uncaught error into whichever test is running. Wait for them to go first.
      for (let i = 0; i < 50; i++) {
        const r = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (r.rows[0]?.n === 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
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
