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
  /**
   * Called when an idle pooled connection fails (the server restarted, an administrator terminated it). The pool has
   * already dropped that connection; the next query opens a new one. Default: a process warning.
   */
  readonly onConnectionError?: (err: Error) => void;
}

// Dates come back as Date, bigint (int8) as string by default in node-postgres; we keep int8 as string on purpose
// (serial numbers and sequence numbers may exceed 2^53 in a province library) and parse where arithmetic is needed.

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return makeStore(db, pool, 'postgres', redactUrl(opts.databaseUrl), async () => {}, opts.onConnectionError);
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
  return makeStore(
    db,
    pool,
    'pglite',
    pgliteDir ?? 'memory://',
    async () => {
      await pglite.close();
    },
    opts.onConnectionError,
  );
}

function makeStore(
  db: Kysely<Database>,
  pool: pg.Pool,
  kind: StoreKind,
  location: string,
  closeEngine: () => Promise<void>,
  onConnectionError: ((err: Error) => void) | undefined,
): Store {
  let closed = false;
  // node-postgres re-emits an idle client's error on the pool; with no listener that is an uncaught exception that
  // ends the process (a PostgreSQL restart would take bdcert down). The pool has already discarded the client.
  pool.on('error', (err) => {
    if (closed) return; // the server ending connections we are closing anyway
    if (onConnectionError) onConnectionError(err);
    else process.emitWarning(`database connection lost: ${err.message}`, 'BdcertDatabaseWarning');
  });
  // pg-pool's end() resolves once its clients are *asked* to end, not when their sockets are closed; count them so
  // close() returns only when no connection is left (a caller may drop the database or exit right after).
  let live = 0;
  let drained: (() => void) | undefined;
  pool.on('connect', () => {
    live++;
  });
  pool.on('remove', () => {
    live--;
    if (live <= 0) drained?.();
  });
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
      const allGone = live > 0 ? new Promise<void>((r) => (drained = r)) : Promise.resolve();
      await db.destroy(); // ends the pool
      // Bounded: a socket that never reports its end must not hang shutdown.
      await Promise.race([allGone, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
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
