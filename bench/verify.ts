// bench/verify — the public verification endpoint GET /api/v1/verify/<token> under load on PostgreSQL, beside pgbench
// select-only on the same database (issue 7, "Must show": ≥ 50 % of pgbench's rate, p99 < 20 ms).
//
//   BDCERT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- verify
//
// What it does, and why it is a fair comparison:
//  1. Loads BENCH_N certificates (default 1,000,000) into a fresh database with one INSERT … SELECT generate_series:
//     every row has the real shape — real SM4-GCM face ciphertext (a few KB, like issued ones), keyed holder hashes,
//     masked holder names, varied addresses, several issuing agencies, a mix of statuses — so the endpoint does its
//     real work (index lookup, status check, issuer name, masking, audit entry, JSON) on a table of realistic size.
//     `pgbench -i` adds its own tables at the scale with the same row count (scale 10 = 1,000,000 accounts).
//  2. Starts the product as it is deployed: `bdcert start` (demo mode, LOG_LEVEL=info, JSON logs to a file as under
//     a service manager, rate limits on — only the public limit raised, since all load comes from one address).
//  3. Alternates, BENCH_RUNS times, three runs of BENCH_SECONDS each, all with the same number of concurrent clients
//     (BENCH_CONNS) and a single-threaded load generator, on the same two cores:
//       wrk -t1 -cC            GET /api/v1/verify/<random token of the N>
//       pgbench -j1 -cC -M prepared -f verify.sql   the endpoint's own SQL statement on `certificates` (the baseline)
//       pgbench -j1 -cC -S     the built-in select-only script on pgbench_accounts (for reference)
//     The ratio is taken against the first (the most honest baseline: same table, same statement, same protocol).
//  4. Stops the server (which flushes its audit buffer) and checks that every hit wrk counted has its audit entry and
//     that the audit chain verifies: a fast endpoint that drops audit entries would not count.
//
// Load on the machine is part of the figure: before each run the 1-minute load average is printed, and after it the
// CPU used by each group of processes (ours and everybody else's) during the run.
//
// Environment: BENCH_N, BENCH_SECONDS (15), BENCH_CONNS (16), BENCH_RUNS (3), BENCH_WORKERS (server processes, 1,
// passed as BDCERT_WORKERS; auto = one per core), BENCH_LOG_LEVEL (info), BENCH_REUSE=1 (keep the loaded database
// and reuse it next time), BENCH_VERIFY_CHAIN=0 (skip the chain walk).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { verifyAuditChain } from '../src/modules/audit/audit.js';
import { seedDemo } from '../src/modules/demo/seed.js';
import { maskName } from '../src/modules/privacy/mask.js';
import { createServices } from '../src/modules/services.js';
import { openStore, redactUrl } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { SAMPLE_PROPERTY_CERTIFICATE } from '../test/fixtures/domain/samples.js';

const int = (name: string, d: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return d;
  if (!/^\d+$/.test(v)) fail(`${name} 须为正整数 / ${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return Number(v);
};
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const admin = process.env.BDCERT_TEST_PG_URL;
if (!admin)
  fail(
    'bench/verify 需要 PostgreSQL 管理员连接 / needs an admin URL:\n  BDCERT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- verify',
  );
for (const [cmd, why] of [
  ['wrk', 'the HTTP load generator'],
  ['pgbench', 'the PostgreSQL baseline'],
] as const) {
  if (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error)
    fail(
      `未找到 ${cmd}（${why}）。请安装：apt-get install -y ${cmd === 'wrk' ? 'wrk' : 'postgresql-client'}（Debian 软件包）\n` +
        `${cmd} not found (${why}). Install it with: apt-get install -y ${cmd === 'wrk' ? 'wrk' : 'postgresql-client'} (Debian package)`,
    );
}

const N = int('BENCH_N', 1_000_000);
const SECONDS = int('BENCH_SECONDS', 15);
const CONNS = int('BENCH_CONNS', 16);
const RUNS = int('BENCH_RUNS', 3);
// One HTTP process (BDCERT_WORKERS=1, the product's default) with its audit writer thread: on two cores that also run
// PostgreSQL and the load tool, a second process took the cores the database needs — measured, docs/verification.md.
const WORKERS = process.env.BENCH_WORKERS || '1';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const REUSE = process.env.BENCH_REUSE === '1';
// Tokens are 'vt' + 22 digits of a bijective scramble of the row number (Knuth's multiplicative hash mod 2^32), so
// wrk's Lua and pgbench can pick a random existing token without a list, and the unique index is filled in random key
// order like one built by real issuance. The product g·2654435761 must stay exact in LuaJIT doubles (< 2^53).
if (N < 1 || N > 3_000_000) fail('BENCH_N 须在 1 到 3,000,000 之间 / BENCH_N must be 1 … 3,000,000');
// The same field key for the loader and the server: the rows' face ciphertext must be readable by the server.
const MASTER_KEY = '6b'.repeat(32);
const DB = 'bdcert_bench_verify';
const u = new URL(admin);
u.pathname = `/${DB}`;
const url = u.toString();
const dataDir = join(tmpdir(), 'bdcert-bench-verify');
const env = {
  DATABASE_URL: url,
  DATA_DIR: dataDir,
  BASE_URL: 'https://bdc.example.gov.cn',
  BDCERT_MODE: 'demo',
  BDCERT_MASTER_KEY: MASTER_KEY,
};

const adminQuery = async (text: string): Promise<pg.QueryResult> => {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
};

// ---------------------------------------------------------------------------------------------------------------
// 1. Load
// ---------------------------------------------------------------------------------------------------------------

async function loadedCount(): Promise<number> {
  const exists = await adminQuery(`select 1 from pg_database where datname = '${DB}'`);
  if (!exists.rowCount) return -1;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      `select count(*)::text as n from certificates where verify_token like 'vt%'`,
    );
    const b = await c.query(`select 1 from pg_tables where tablename = 'pgbench_accounts'`);
    return b.rowCount ? Number(r.rows[0]?.n ?? -1) : -1;
  } catch {
    return -1;
  } finally {
    await c.end();
  }
}

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈',
];
const GIVEN = [...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞婷雪梅海燕'];
const STREETS = [
  '跃进路',
  '春申大道',
  '弦山路',
  '定城路',
  '航空路',
  '新华街',
  '北京路',
  '光州大道',
  '淮河路',
  '中山路',
];
const ESTATES = ['幸福家园', '春申花园', '锦绣华庭', '碧桂园', '建业城', '御景湾', '金色阳光', '滨河一号'];

/** K distinct realistic faces, encrypted as issuance does; rows pick one by number (ciphertext size is what counts). */
function sampleRows(
  k: number,
  encrypt: (s: string) => string,
  index: (s: string) => string,
): { faceEnc: string[]; holderKey: string[]; holderDisplay: string[]; location: string[] } {
  const out = {
    faceEnc: [] as string[],
    holderKey: [] as string[],
    holderDisplay: [] as string[],
    location: [] as string[],
  };
  for (let i = 0; i < k; i++) {
    const name = `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${i % 3 ? GIVEN[(i * 13) % GIVEN.length] : ''}`;
    const idNumber = `411526${1950 + (i % 50)}${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}${i % 11 === 10 ? 'X' : i % 10}`;
    const location = `潢川县春申街道${STREETS[i % STREETS.length]}${(i % 300) + 1}号${ESTATES[i % ESTATES.length]}小区${(i % 30) + 1}号楼${(i % 4) + 1}单元${(i % 18) + 1}0${(i % 4) + 1}室`;
    const face = {
      ...SAMPLE_PROPERTY_CERTIFICATE,
      holders: [{ name, idType: '111', idNumber, holderType: '1' }],
      location,
      area: 60 + (i % 90) + (i % 100) / 100,
      notes: `业务号：2020${String(i).padStart(8, '0')}`,
    };
    out.faceEnc.push(encrypt(JSON.stringify(face)));
    out.holderKey.push(index(idNumber));
    out.holderDisplay.push(maskName(name));
    out.location.push(location);
  }
  return out;
}

async function load(): Promise<number> {
  const t0 = performance.now();
  await adminQuery(`drop database if exists ${DB} with (force)`);
  await adminQuery(`create database ${DB}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig(env);
  const store = await openStore({ databaseUrl: url, poolSize: 2 });
  try {
    await migrateToLatest(store.db);
    const services = await createServices(config, store);
    await seedDemo(config, store); // what `bdcert start` would create on a fresh database: agencies, seals, users
    const agencies = await store.db
      .selectFrom('agencies')
      .select(['id', 'region_code', 'province_abbr', 'city_county_name'])
      .where('level', 'in', ['city', 'county']) // the issuing agencies of the demo
      .orderBy('region_code')
      .execute();
    if (agencies.length === 0) throw new Error('demo seed created no issuing agency');
    for (const [i, a] of agencies.entries()) {
      const unitNo = `${a.region_code}001002GB${String(i).padStart(5, '0')}F00010203`;
      await sql`insert into units (unit_no, agency_id, region_code, location)
        values (${unitNo}, ${a.id}, ${a.region_code}, '春申街道跃进路88号')`.execute(store.db);
      await sql`insert into register_entries (id, agency_id, business_no, registration_type, unit_no, recorded_at, source,
          payload_enc, payload_sm3, outcome)
        values (gen_random_uuid(), ${a.id}, 'BENCH', '900', ${unitNo}, now(), 'stock-import', 'x', 'x', '{}'::jsonb)`.execute(
        store.db,
      );
    }
    const K = 1000;
    const s = sampleRows(
      K,
      (t) => services.ctx.fieldCrypto.encrypt(t),
      (t) => services.ctx.fieldCrypto.index(t),
    );
    console.log(
      `loading ${N.toLocaleString('en-US')} certificates over ${agencies.length} agencies (face ciphertext ~${Math.round(s.faceEnc[0]!.length / 100) / 10} KB each) …`,
    );
    // One statement: agency by row number, statuses 90 % 有效, 6 % 已注销, 2 % 已挂起, 2 % superseded; serial numbers
    // per agency as issuance allocates them. The rows reference existing agencies, units and entries by construction,
    // so the per-row foreign-key triggers are skipped for the load (session_replication_role, on this connection only).
    await store.db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`insert into certificates (id, agency_id, kind, year, serial, version, certificate_no, identifier, status,
        collected, unit_no, entry_id, face_enc, holder_keys, holder_display, location, registered_on, verify_token,
        ofd_blob, pdf_blob, seal_id, sealed_at, collected_at)
      select gen_random_uuid(), a.id, 'property-certificate', 2020, g, 1,
        a.province_abbr || '(2020)' || a.city_county_name || '不动产权第' || lpad(g::text, 7, '0') || '号',
        '1.2.156.3005.2.11100000MB03271699001.' || a.uscc || '.2020' || lpad(g::text, 7, '0') || '.001.0',
        case when g % 50 in (0, 1, 2) then 'cancelled' when g % 50 = 3 then 'suspended' when g % 50 = 4 then 'superseded'
          else 'issued' end,
        g % 3 = 0, u.unit_no, e.id,
        (${s.faceEnc}::text[])[1 + g % ${K}], array[(${s.holderKey}::text[])[1 + g % ${K}]],
        (${s.holderDisplay}::text[])[1 + g % ${K}], (${s.location}::text[])[1 + g % ${K}],
        '2020' || lpad((1 + g % 12)::text, 2, '0') || lpad((1 + g % 28)::text, 2, '0'),
        'vt' || lpad(((g::bigint * 2654435761) % 4294967296)::text, 22, '0'),
        encode(sha256(g::text::bytea), 'hex'), encode(sha256(('p' || g)::bytea), 'hex'), null,
        timestamptz '2020-06-15 12:00:00+08' + (g % 1000) * interval '1 hour',
        case when g % 3 = 0 then timestamptz '2020-07-01 09:00:00+08' end
      from generate_series(1, ${N}) g
      join (select *, row_number() over (order by region_code) - 1 as i from agencies where level in ('city', 'county')) a
        on a.i = g % ${agencies.length}
      join units u on u.agency_id = a.id
      join register_entries e on e.agency_id = a.id and e.business_no = 'BENCH'`.execute(conn);
      await sql`reset session_replication_role`.execute(conn);
    });
    console.log(`  rows in ${((performance.now() - t0) / 1000).toFixed(0)} s; vacuum analyze …`);
    await sql`vacuum (analyze) certificates`.execute(store.db);
    await sql`checkpoint`.execute(store.db);
  } finally {
    await store.close();
  }
  // pgbench's own tables in the same database, scale giving the same row count (100,000 accounts per unit of scale).
  const scale = Math.max(1, Math.round(N / 100_000));
  run('pgbench', ['-i', '-q', '-s', String(scale), url]);
  return (performance.now() - t0) / 1000;
}

function runAsync(cmd: string, args: string[]): Promise<string> {
  // Never spawnSync a load tool: the process must stay responsive (its timers sample the CPU meanwhile).
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let text = '';
    p.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      text += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${cmd} exited ${code}:\n${text}`))));
  });
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

/**
 * Reads the tables and indexes the runs use into the OS page cache. Without it the first runs measure the disk: this
 * VM reclaims page cache that was not touched for a while (kdamond), and the certificates heap (~650 MB at 1M rows;
 * the face ciphertext lives in TOAST and is not read) is far larger than shared_buffers.
 */
async function prewarm(): Promise<void> {
  const t = performance.now();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const rels = ['certificates', 'certificates_verify_token_key', 'pgbench_accounts', 'pgbench_accounts_pkey'];
    try {
      await c.query('create extension if not exists pg_prewarm');
      for (const r of rels) await c.query(`select pg_prewarm('${r}', 'read')`);
    } catch {
      // No pg_prewarm (or not allowed to create it): a sequential scan and an index-only scan read the same pages.
      await c.query('select count(*) from certificates');
      await c.query("set enable_seqscan = off; select count(*) from certificates where verify_token > ''");
      await c.query('reset enable_seqscan; select count(*) from pgbench_accounts');
    }
  } finally {
    await c.end();
  }
  console.log(
    `prewarmed certificates and pgbench_accounts (with their indexes) in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting: who used the machine during a run (from /proc, so other engineers' processes show up too)
// ---------------------------------------------------------------------------------------------------------------

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks
type Snapshot = Map<number, { ticks: number; label: string }>;
/** Processes of the server under test (filled once it runs: the main process and any workers). */
const serverProcs = new Set<number>();
/** Processes of the bare reference server (bench/verify-bare.ts). */
const bareProcs = new Set<number>();

function snapshot(): Snapshot {
  // Workers are forked after the first one is ready (and replaced if one dies): look for new ones every time.
  if (server) collectPids(server, serverProcs);
  if (bareServer) collectPids(bareServer, bareProcs);
  const out: Snapshot = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      const pid = Number(d);
      let label: string;
      if (pid === process.pid) label = 'bench: this script';
      else if (comm === 'wrk' || comm === 'pgbench') label = `bench: ${comm}`;
      else if (serverProcs.has(pid)) label = 'bench: bdcert server';
      else if (bareProcs.has(pid)) label = 'bench: bare reference server';
      else if (comm === 'postgres') {
        // A backend's title names its database: "postgres: user db 127.0.0.1(port) idle".
        const title = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        label = title.includes(` ${DB} `) ? 'bench: postgres backends' : 'postgres (other databases, background)';
      } else if (comm === 'node' || comm === 'bash' || comm === 'python3') {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
        label = `other: ${comm} ${cmd
          .slice(1)
          .filter((x) => !x.startsWith('-'))
          .join(' ')
          .slice(0, 50)}`.trim();
      } else label = `other: ${comm}`;
      out.set(pid, { ticks, label });
    } catch {
      // the process ended while we read it
    }
  }
  return out;
}

function cpuReport(before: Snapshot, after: Snapshot, seconds: number, rate: number): string {
  const by = new Map<string, number>();
  for (const [pid, a] of after) {
    const d = a.ticks - (before.get(pid)?.ticks ?? 0);
    if (d > 0) by.set(a.label, (by.get(a.label) ?? 0) + d);
  }
  const pct = (t: number) => (t / CLK_TCK / seconds) * 100; // % of one core
  const perOp = (t: number) => (t / CLK_TCK / seconds / rate) * 1e6; // µs of CPU per request / transaction
  const rows = [...by].sort((x, y) => y[1] - x[1]);
  const ours = rows.filter(([l]) => l.startsWith('bench:') && l !== 'bench: this script');
  const others = rows.filter(([l]) => !l.startsWith('bench:'));
  const otherTotal = others.reduce((s, [, t]) => s + t, 0);
  const oursText = ours.map(([l, t]) => `${l.slice(7)} ${pct(t).toFixed(0)} % (${perOp(t).toFixed(0)} µs/op)`);
  const othersText = others.slice(0, 4).map(([l, t]) => `${l.replace(/^other: /, '')} ${pct(t).toFixed(0)} %`);
  return `      CPU of one core, ${cpus().length} cores: ${oursText.join(', ')}\n      everything else ${pct(otherTotal).toFixed(0)} %${othersText.length ? `: ${othersText.join(', ')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The server, as deployed
// ---------------------------------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logFile: string;
}

async function startServer(): Promise<Server> {
  const port = await freePort();
  const logFile = join(dataDir, 'server.log');
  const fd = openSync(logFile, 'w');
  // BENCH_SERVER_FLAGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const flags = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/cli/main.ts', 'start'], {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: LOG_LEVEL,
      // Rate limits stay on; only the per-address public limit is raised, since all load comes from 127.0.0.1.
      BDCERT_PUBLIC_RATE_LIMIT: '1000000000',
      BDCERT_WORKERS: WORKERS,
    },
    stdio: ['ignore', fd, fd],
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`bdcert start exited (${exited}) before it was ready:\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`bdcert start not ready after 90 s:\n${tail(logFile)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // In cluster mode the other workers start once the first is ready: measure only when every one of them serves.
  const workers = WORKERS === 'auto' ? cpus().length : Number(WORKERS);
  while (workers > 1 && (readFileSync(logFile, 'utf8').match(/"msg":"worker ready"/g) ?? []).length < workers) {
    if (exited !== undefined) throw new Error(`bdcert start exited (${exited}):\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`not every worker was ready after 90 s:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, port, logFile };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** bench/verify-bare.ts: bare node:http + pg, the same lookup, as many processes as the product has workers. */
async function startBare(): Promise<Server> {
  const port = await freePort();
  const logFile = join(dataDir, 'bare.log');
  const fd = openSync(logFile, 'w');
  const workers = WORKERS === 'auto' ? String(cpus().length) : WORKERS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/verify-bare.ts'], {
    env: { ...process.env, BARE_URL: url, BARE_PORT: String(port), BARE_WORKERS: workers },
    stdio: ['ignore', fd, fd],
  });
  const probe = `http://127.0.0.1:${port}/api/v1/verify/vt${String((1 * 2654435761) % 4294967296).padStart(22, '0')}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench/verify-bare exited (${child.exitCode}):\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`bench/verify-bare not ready after 60 s:\n${tail(logFile)}`);
    try {
      if ((await fetch(probe)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, port, logFile };
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const done = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM'); // graceful stop: in-flight requests finish, the audit buffer is flushed
  await done;
}

/** Every process of the server: the main one and, in cluster mode, its workers. */
function collectPids(s: Server, procs: Set<number>): void {
  procs.add(s.child.pid ?? -1);
  for (let grown = true; grown; ) {
    grown = false;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || procs.has(Number(d))) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (procs.has(ppid)) {
          procs.add(Number(d));
          grown = true;
        }
      } catch {
        // gone
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Measurements
// ---------------------------------------------------------------------------------------------------------------

interface Figure {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
  readonly errors: string;
}

const toMs = (v: string, unit: string): number =>
  Number(v) * (unit === 'us' ? 0.001 : unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : Number.NaN);

async function wrk(port: number, lua: string, seconds: number): Promise<Figure> {
  const out = await runAsync('wrk', [
    '-t1',
    `-c${CONNS}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    lua,
    `http://127.0.0.1:${port}`,
  ]);
  const lat = (q: string) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: (.*)/.exec(out)?.[1];
  return {
    rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: lat('50'),
    p99: lat('99'),
    count: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors: [non2xx ? `${non2xx} non-2xx` : '', socket ? `socket errors ${socket}` : ''].filter(Boolean).join(', '),
  };
}

async function pgbench(args: string[], seconds: number, logPrefix: string): Promise<Figure> {
  for (const f of readdirSync(dataDir)) if (f.startsWith(logPrefix)) rmSync(join(dataDir, f));
  // Latencies from a 10 % sample of transactions (-l --sampling-rate): enough for p99, cheap for the client.
  const out = await runAsync('pgbench', [
    ...args,
    '-n',
    '-j',
    '1',
    '-c',
    String(CONNS),
    '-T',
    String(seconds),
    '-l',
    '--sampling-rate=0.1',
    `--log-prefix=${join(dataDir, logPrefix)}`,
    url,
  ]);
  const lat: number[] = [];
  for (const f of readdirSync(dataDir)) {
    if (!f.startsWith(logPrefix)) continue;
    for (const line of readFileSync(join(dataDir, f), 'utf8').split('\n')) {
      const us = line.split(' ')[2]; // client_id transaction_no time(µs) script_no time_epoch time_us
      if (us) lat.push(Number(us) / 1000);
    }
    rmSync(join(dataDir, f));
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rate: Number(/tps = ([\d.]+)/.exec(out)?.[1]),
    p50: q(0.5),
    p99: q(0.99),
    count: Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0),
    errors: failed ? `${failed} failed` : '',
  };
}

/**
 * Runs a load tool and meanwhile measures who used the CPU, from 1 s after its start to 1 s before its end (so the
 * tool and its database backends are still alive to be counted, and connection set-up is left out).
 */
async function measured(label: string, seconds: number, go: () => Promise<Figure>): Promise<Figure> {
  let b: Snapshot | undefined;
  let a: Snapshot | undefined;
  let t0 = 0;
  let t1 = 0;
  const timers = [
    setTimeout(() => {
      b = snapshot();
      t0 = performance.now();
    }, 1000),
    setTimeout(
      () => {
        a = snapshot();
        t1 = performance.now();
      },
      (seconds - 1) * 1000,
    ),
  ];
  const r = await go();
  for (const t of timers) clearTimeout(t);
  console.log(`  ${label.padEnd(40)} ${fmt(r)}`);
  if (a && b) console.log(cpuReport(b, a, (t1 - t0) / 1000, r.rate));
  return r;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (f: Figure) =>
  `${f.rate.toFixed(0).padStart(6)} /s   p50 ${f.p50.toFixed(2).padStart(6)} ms   p99 ${f.p99.toFixed(2).padStart(6)} ms${f.errors ? `   (${f.errors})` : ''}`;

// ---------------------------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------------------------

console.log(
  `bench/verify: ${N.toLocaleString('en-US')} certificates, ${CONNS} concurrent clients, ${RUNS} × ${SECONDS} s per tool, LOG_LEVEL=${LOG_LEVEL}${WORKERS ? `, BDCERT_WORKERS=${WORKERS}` : ''}`,
);
{
  const pgv = (
    await adminQuery(`select current_setting('server_version') as v, current_setting('shared_buffers') as sb`)
  ).rows[0] as { v: string; sb: string };
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${pgv.v} (shared_buffers ${pgv.sb}); load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
const have = REUSE ? await loadedCount() : -1;
if (have === N) console.log(`reusing database ${DB} with ${N.toLocaleString('en-US')} certificates (BENCH_REUSE=1)`);
else {
  try {
    const s = await load();
    console.log(`loaded in ${s.toFixed(0)} s (${redactUrl(url)})`);
  } catch (e) {
    if (!REUSE) await adminQuery(`drop database if exists ${DB} with (force)`);
    throw e;
  }
}
const lua = join(dataDir, 'verify.lua');
writeFileSync(
  lua,
  `-- a random existing token per request (same scramble as the load: 'vt' .. (g * 2654435761) mod 2^32)
local n = ${N}
math.randomseed(os.time())
request = function()
  local g = math.random(1, n)
  return wrk.format("GET", string.format("/api/v1/verify/vt%022d", (g * 2654435761) % 4294967296))
end
`,
);
const statement = join(dataDir, 'verify.sql');
// The endpoint's own statement (src/modules/sharing/service.ts, PUBLIC_LOOKUP), with the token built from :g.
writeFileSync(
  statement,
  `\\set g random(1, ${N})
\\set h (:g * 2654435761) % 4294967296
select id, agency_id, kind, status, identifier, certificate_no, registered_on, location, holder_display, unit_no, sealed_at from certificates where verify_token = 'vt' || lpad(:h::text, 22, '0');
`,
);

let server: Server | undefined;
let bareServer: Server | undefined;
let failedCheck = false;
try {
  // Audit entries of earlier runs (BENCH_REUSE) are not counted.
  const auditBefore = await (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<{ s: string }>('select coalesce(max(seq), 0)::text as s from audit.entries')).rows[0]!.s;
    } finally {
      await c.end();
    }
  })();
  await prewarm();
  server = await startServer();
  // Check once that a token answers as the page expects before measuring anything.
  const probe = await fetch(
    `http://127.0.0.1:${server.port}/api/v1/verify/vt${String((1 * 2654435761) % 4294967296).padStart(22, '0')}`,
  );
  const body = (await probe.json()) as { statusName?: string; issuer?: string };
  if (probe.status !== 200 || !body.statusName || !body.issuer)
    throw new Error(`probe answered ${probe.status}: ${JSON.stringify(body)}`);

  collectPids(server, serverProcs);
  console.log(
    `server: bdcert start on 127.0.0.1:${server.port}, ${serverProcs.size} process(es), log ${server.logFile}`,
  );
  console.log('warm-up (5 s each) …');
  let served = (await wrk(server.port, lua, 5)).count;
  await pgbench(['-M', 'prepared', '-f', statement], 5, 'pgblog');

  const bare = await startBare();
  bareServer = bare;
  await wrk(bare.port, lua, 5);
  const results = { verify: [] as Figure[], custom: [] as Figure[], builtin: [] as Figure[], bare: [] as Figure[] };
  for (let i = 1; i <= RUNS; i++) {
    console.log(
      `run ${i}/${RUNS}  (load average before: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})`,
    );
    const port = server.port;
    const v = await measured('wrk  GET /api/v1/verify/:token', SECONDS, () => wrk(port, lua, SECONDS));
    served += v.count;
    // Every token exists: an error or a non-2xx answer means the endpoint did not do its work, the figure is void.
    if (v.errors) failedCheck = true;
    results.verify.push(v);
    results.custom.push(
      await measured("pgbench -M prepared (endpoint's SELECT)", SECONDS, () =>
        pgbench(['-M', 'prepared', '-f', statement], SECONDS, 'pgblog'),
      ),
    );
    results.builtin.push(
      await measured('pgbench -S (built-in select-only)', SECONDS, () => pgbench(['-S'], SECONDS, 'pgblog')),
    );
    results.bare.push(
      await measured('wrk  bare node:http + pg (reference)', SECONDS, () => wrk(bare.port, lua, SECONDS)),
    );
  }
  await stopServer(bare);

  await stopServer(server);
  const logLines = readFileSync(server.logFile, 'utf8').split('\n').length - 1;

  // Every hit wrk saw answered must be in the audit log (a few more were answered after wrk stopped counting).
  const store = await openStore({ databaseUrl: url, poolSize: 2 });
  try {
    const audited = Number(
      (
        await store.db
          .selectFrom('audit.entries')
          .select((e) => e.fn.countAll<string>().as('n'))
          .where('action', '=', 'verify.public')
          .where(sql<boolean>`seq > ${auditBefore}::bigint`)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const ok = audited >= served && audited <= served + CONNS * (RUNS + 2);
    if (!ok) failedCheck = true;
    console.log(
      `audit: ${audited.toLocaleString('en-US')} verify.public entries for ${served.toLocaleString('en-US')} responses wrk counted ${ok ? '✓' : '✗ MISMATCH'}`,
    );
    if (process.env.BENCH_VERIFY_CHAIN !== '0') {
      const t = performance.now();
      const chain = await verifyAuditChain(store.db);
      if (!chain.ok) failedCheck = true;
      console.log(
        `audit chain: ${chain.rows.toLocaleString('en-US')} rows ${chain.ok ? 'verify ✓' : `✗ ${chain.findings.length} findings`} (${((performance.now() - t) / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    await store.close();
  }
  console.log(`server log: ${logLines.toLocaleString('en-US')} lines at LOG_LEVEL=${LOG_LEVEL}`);

  const m = (xs: Figure[]) => ({
    rate: median(xs.map((x) => x.rate)),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
  });
  const v = m(results.verify);
  const c = m(results.custom);
  const s = m(results.builtin);
  const b = m(results.bare);
  const ratio = v.rate / c.rate;
  console.log(`\nmedian of ${RUNS} runs, ${CONNS} clients, ${SECONDS} s each:`);
  console.log(
    `  GET /api/v1/verify/:token (wrk -t1)     ${v.rate.toFixed(0)} req/s, p50 ${v.p50.toFixed(2)} ms, p99 ${v.p99.toFixed(2)} ms`,
  );
  console.log(
    `  pgbench endpoint SELECT (-M prepared)   ${c.rate.toFixed(0)} tps, p50 ${c.p50.toFixed(2)} ms, p99 ${c.p99.toFixed(2)} ms`,
  );
  console.log(
    `  pgbench -S built-in                     ${s.rate.toFixed(0)} tps, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`,
  );
  console.log(
    `  bare node:http + pg, same lookup (ref.)  ${b.rate.toFixed(0)} req/s, p50 ${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms   (${((b.rate / c.rate) * 100).toFixed(0)} % of pgbench; the product is ${((v.rate / b.rate) * 100).toFixed(0)} % of it)`,
  );
  console.log(
    `  ratio verify / pgbench (endpoint SELECT): ${(ratio * 100).toFixed(0)} %   (vs built-in -S: ${((v.rate / s.rate) * 100).toFixed(0)} %)`,
  );
  const pass = ratio >= 0.5 && v.p99 < 20;
  console.log(
    `  target ≥ 50 % and p99 < 20 ms: ${pass ? '达标 / met' : '未达标 / not met'}   load average now: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  if (server && server.child.exitCode === null) await stopServer(server);
  if (bareServer && bareServer.child.exitCode === null) await stopServer(bareServer);
  if (!REUSE) {
    await adminQuery(`drop database if exists ${DB} with (force)`);
    rmSync(dataDir, { recursive: true, force: true });
  } else console.log(`kept ${DB} and ${dataDir} for the next BENCH_REUSE=1 run (drop database ${DB} when done)`);
}
if (failedCheck) process.exit(1);
