import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import type { Command } from 'commander';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { type Config, ConfigError, loadConfig } from '../../config.js';
import { recordAudit, verifyAuditChain } from '../../modules/audit/audit.js';
import type { Database } from '../../store/schema.js';

/**
 * `bdcert backup <dir>` / `bdcert restore <dir>` (Huangchuan 5.2.7: a backup library of the certificate data): the
 * database (pg_dump custom format on PostgreSQL; PGlite's own data-directory dump, taken while the server is stopped)
 * and the content-addressed file store, with a manifest holding the SM3 of every part and the audit chain head, so a
 * restore proves it brought back exactly what was saved.
 */
export const MANIFEST = 'manifest.json';

export interface BackupManifest {
  readonly format: 'bdcert-backup/1';
  readonly createdAt: string;
  readonly database: { readonly kind: 'pglite' | 'postgres'; readonly file: string; readonly sm3: string };
  readonly blobs: { readonly dir: string; readonly count: number };
  readonly audit: {
    readonly rows: number;
    readonly headSeq: string | null;
    readonly headHash: string;
    readonly intact: boolean;
  };
}

export interface BackupTarget {
  /** PostgreSQL URL, or undefined for the embedded PGlite under `dataDir/pg`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** The file store's root (default `<DATA_DIR>/blobs`). */
  readonly blobDir: string;
}

const sm3File = async (p: string) =>
  createHash('sm3')
    .update(await readFile(p))
    .digest('hex');

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (e) => rej(new Error(`${cmd}: ${e.message} (is the PostgreSQL client installed?)`)));
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}

async function withPglite<T>(
  pgDir: string,
  fn: (db: Kysely<Database>, pglite: PGlite) => Promise<T>,
  load?: Blob,
): Promise<T> {
  const pglite = await PGlite.create(pgDir, load ? { loadDataDir: load } : {});
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await fn(db, pglite);
  } finally {
    await db.destroy();
    await pglite.close();
  }
}

async function withPostgres<T>(url: string, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

async function auditHead(db: Kysely<Database>): Promise<BackupManifest['audit']> {
  const exists = await sql<{ t: string | null }>`select to_regclass('audit.entries')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return { rows: 0, headSeq: null, headHash: '', intact: true };
  const v = await verifyAuditChain(db);
  return { rows: v.rows, headSeq: v.headSeq, headHash: v.headHash, intact: v.ok };
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(join(root, rel));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const name of entries) {
    const r = join(rel, name);
    if ((await stat(join(root, r))).isDirectory()) out.push(...(await listFiles(root, r)));
    else if (/^[0-9a-f]{64}$/.test(name)) out.push(r);
  }
  return out;
}

/** Copies content-addressed files, checking each against its SM3 name; returns how many. */
async function copyBlobs(from: string, to: string): Promise<number> {
  const files = await listFiles(from);
  for (const rel of files) {
    const src = join(from, rel);
    const name = rel.split(/[\\/]/).pop() ?? '';
    if ((await sm3File(src)) !== name) throw new Error(`文件已损坏 / blob ${name} does not match its SM3 name`);
    const dst = join(to, rel);
    if (existsSync(dst) && (await sm3File(dst)) === name) continue;
    await mkdir(join(dst, '..'), { recursive: true });
    await copyFile(src, dst);
  }
  return files.length;
}

export async function backup(t: BackupTarget, dir: string, now = new Date()): Promise<BackupManifest> {
  await mkdir(dir, { recursive: true });
  if (existsSync(join(dir, MANIFEST)))
    throw new Error(`${dir} 已有备份 / already holds a backup; choose an empty directory`);
  let database: BackupManifest['database'];
  let audit: BackupManifest['audit'];
  if (t.databaseUrl) {
    const url = t.databaseUrl;
    audit = await withPostgres(url, auditHead);
    const file = 'database.pgdump';
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-acl', `--file=${join(dir, file)}`, `--dbname=${url}`]);
    database = { kind: 'postgres', file, sm3: await sm3File(join(dir, file)) };
  } else {
    const pgDir = join(t.dataDir, 'pg');
    if (!existsSync(pgDir)) throw new Error(`${pgDir}: 没有嵌入式数据库 / no embedded database here`);
    const file = 'database.pglite.tar.gz';
    audit = await withPglite(pgDir, async (db, pglite) => {
      const head = await auditHead(db);
      const dump = await pglite.dumpDataDir('gzip');
      await writeFile(join(dir, file), Buffer.from(await dump.arrayBuffer()));
      return head;
    });
    database = { kind: 'pglite', file, sm3: await sm3File(join(dir, file)) };
  }
  const count = await copyBlobs(t.blobDir, join(dir, 'blobs'));
  const manifest: BackupManifest = {
    format: 'bdcert-backup/1',
    createdAt: now.toISOString(),
    database,
    blobs: { dir: 'blobs', count },
    audit,
  };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly audit: BackupManifest['audit'];
  /** Where a replaced embedded database was moved (never deleted). */
  readonly movedAside?: string;
}

/**
 * Restores into an empty target (or, with `force`, replaces: the old PGlite directory is moved aside, a PostgreSQL
 * database is cleaned by pg_restore). Checks the manifest's SM3 first and the audit chain head afterwards.
 */
export async function restore(t: BackupTarget, dir: string, o: { force?: boolean } = {}): Promise<RestoreResult> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as BackupManifest;
  if (manifest.format !== 'bdcert-backup/1') throw new Error(`unknown backup format ${manifest.format}`);
  const dbFile = join(dir, manifest.database.file);
  if ((await sm3File(dbFile)) !== manifest.database.sm3)
    throw new Error('备份文件校验失败 / the database dump does not match its SM3 in the manifest');
  let movedAside: string | undefined;
  let audit: BackupManifest['audit'];
  if (manifest.database.kind === 'postgres') {
    if (!t.databaseUrl)
      throw new Error('该备份来自 PostgreSQL，请设置 DATABASE_URL / this backup is PostgreSQL: set DATABASE_URL');
    const url = t.databaseUrl;
    const tables = await withPostgres(url, async (db) => {
      const r = await sql<{ n: string }>`select count(*)::text as n from information_schema.tables
        where table_schema in ('public', 'audit')`.execute(db);
      return Number(r.rows[0]?.n ?? 0);
    });
    if (tables > 0 && !o.force)
      throw new Error(
        '目标数据库非空，如需覆盖请加 --force / the target database is not empty; use --force to replace it',
      );
    await run('pg_restore', [
      '--no-owner',
      '--no-acl',
      '--exit-on-error',
      ...(tables > 0 ? ['--clean', '--if-exists'] : []),
      `--dbname=${url}`,
      dbFile,
    ]);
    // Privileges are not in the dump (--no-acl: roles differ between clusters): take UPDATE/TRUNCATE away again as
    // migration 0004 does.
    audit = await withPostgres(url, async (db) => {
      await sql`revoke update, delete, truncate on audit.entries from public`.execute(db);
      await sql`
        do $$
        begin
          if not (select rolsuper from pg_roles where rolname = current_user) then
            execute 'revoke update, delete, truncate on audit.entries from ' || quote_ident(current_user);
          end if;
        end
        $$`.execute(db);
      return auditHead(db);
    });
  } else {
    if (t.databaseUrl)
      throw new Error('该备份来自嵌入式数据库，请取消 DATABASE_URL / this backup is PGlite: unset DATABASE_URL');
    const pgDir = join(t.dataDir, 'pg');
    if (existsSync(pgDir) && (await readdir(pgDir)).length > 0) {
      if (!o.force)
        throw new Error(
          `${pgDir} 非空，如需覆盖请加 --force / is not empty; use --force (it is moved aside, not deleted)`,
        );
      movedAside = `${pgDir}.replaced-${Date.now()}`;
      await rename(pgDir, movedAside);
    }
    await mkdir(pgDir, { recursive: true });
    const blob = new Blob([await readFile(dbFile)]);
    audit = await withPglite(pgDir, auditHead, blob);
  }
  await copyBlobs(join(dir, manifest.blobs.dir), t.blobDir);
  if (audit.headHash !== manifest.audit.headHash || audit.rows !== manifest.audit.rows || !audit.intact)
    throw new Error(
      `恢复后审计日志与备份不一致 / after restore the audit chain differs from the backup (rows ${audit.rows} vs ${manifest.audit.rows}, intact=${audit.intact})`,
    );
  return { manifest, audit, ...(movedAside ? { movedAside } : {}) };
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

function target(config: Config, blobs?: string): BackupTarget {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    blobDir: resolve(blobs ?? join(config.dataDir, 'blobs')),
  };
}

async function auditCli(t: BackupTarget, action: string, dir: string): Promise<void> {
  const write = (db: Kysely<Database>) =>
    recordAudit(db, {
      actor: { kind: 'system', id: 'cli' },
      action,
      result: 'success',
      details: { dir: resolve(dir) },
    });
  if (t.databaseUrl) await withPostgres(t.databaseUrl, write);
  else await withPglite(join(t.dataDir, 'pg'), write);
}

export function register(program: Command): void {
  program
    .command('backup')
    .description(
      '备份数据库与文件库 / back up the database and the file store (stop the server first when using the embedded database)',
    )
    .argument('<dir>', '空目录 / an empty directory')
    .option('--blobs <dir>', '文件库目录 / file store root (default <DATA_DIR>/blobs)')
    .action(async (dir: string, o: { blobs?: string }) => {
      const t = target(configOrExit(), o.blobs);
      const m = await backup(t, resolve(dir));
      await auditCli(t, 'system.backup', dir);
      console.log(
        `备份完成 / backup written to ${resolve(dir)}: ${m.database.kind} dump, ${m.blobs.count} files, audit ${m.audit.rows} rows (head ${m.audit.headHash.slice(0, 16)}…${m.audit.intact ? '' : ', CHAIN BROKEN — run bdcert audit verify'})`,
      );
    });
  program
    .command('restore')
    .description('从备份恢复 / restore the database and file store from a backup (server stopped)')
    .argument('<dir>')
    .option('--blobs <dir>', '文件库目录 / file store root (default <DATA_DIR>/blobs)')
    .option('--force', '覆盖非空目标 / replace a non-empty target')
    .action(async (dir: string, o: { blobs?: string; force?: boolean }) => {
      const t = target(configOrExit(), o.blobs);
      const r = await restore(t, resolve(dir), { force: o.force === true });
      await auditCli(t, 'system.restore', dir);
      console.log(
        `恢复完成 / restored from ${resolve(dir)} (${r.manifest.createdAt}): audit chain intact, ${r.audit.rows} rows${r.movedAside ? `; previous database moved to ${r.movedAside}` : ''}`,
      );
    });
}
