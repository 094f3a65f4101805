import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type StoreKind = 'pglite' | 'postgres';

/**
 * One database handle for the whole process: Kysely over node-postgres, where the connection is either a real
 * PostgreSQL pool (DATABASE_URL) or the embedded PGlite through its node-postgres adapter — the same SQL runs on both
 * (stack-notes "Database"). PGlite is a single connection: never use `db` inside a `db.transaction()` callback, use
 * the transaction handle, or the call waits for itself.
 */
export interface Store {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly kind: StoreKind;
  /** Where the data lives, for logs: the PGlite directory, or the URL without its password. */
  readonly location: string;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** PostgreSQL URL; when absent the embedded PGlite is used. */
  readonly databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pg`); `memory://` for a throw-away database. */
  readonly dataDir?: string;
  readonly poolSize?: number;
}

// Dates come back as Date, bigint (int8) as string by default in node-postgres; we keep int8 as string on purpose
// (serial numbers and sequence numbers may exceed 2^53 in a province library) and parse where arithmetic is needed.

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return makeStore(db, pool, 'postgres', redactUrl(opts.databaseUrl), async () => {});
  }
  const dataDir = opts.dataDir ?? 'memory://';
  let pgliteDir: string | undefined;
  if (dataDir !== 'memory://') {
    pgliteDir = join(dataDir, 'pg');
    mkdirSync(pgliteDir, { recursive: true });
  }
  const pglite = pgliteDir ? await PGlite.create(pgliteDir) : await PGlite.create();
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return makeStore(db, pool, 'pglite', pgliteDir ?? 'memory://', async () => {
    await pglite.close();
  });
}

function makeStore(
  db: Kysely<Database>,
  pool: pg.Pool,
  kind: StoreKind,
  location: string,
  closeEngine: () => Promise<void>,
): Store {
  let closed = false;
  return {
    db,
    pool,
    kind,
    location,
    async ping() {
      try {
        const r = await sql<{ ok: number }>`select 1 as ok`.execute(db);
        return r.rows[0]?.ok === 1;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
      await closeEngine();
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}
