// bench/verify — the public verification endpoint under load on PostgreSQL, beside pgbench select-only on the same
// database. Loads N certificates (default 1,000,000; BENCH_N to change) with SQL, serves the real HTTP app on
// loopback, drives GET /api/v1/verify/<random token> with wrk (Debian package `wrk`), then runs
// `pgbench -S` for the same time and prints req/s, p50, p99 and the ratio.
// Needs BDCERT_TEST_PG_URL (an admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { buildServer } from '../src/http/server.js';
import { DEMO_STEPS } from '../src/modules/demo/seed.js';
import { createServices, routePlugins } from '../src/modules/services.js';
import { openStore } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';

// The public endpoint is rate-limited per address; this benchmark measures raw capacity from one address.
process.env.BDCERT_PUBLIC_RATE_LIMIT ??= '1000000000';
const admin = process.env.BDCERT_TEST_PG_URL;
if (!admin) {
  console.error('bench/verify needs BDCERT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres');
  process.exit(2);
}
const N = Number(process.env.BENCH_N ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNS = 32;
const db = 'bdcert_bench_verify';
const c = new pg.Client({ connectionString: admin });
await c.connect();
await c.query(`drop database if exists ${db} with (force)`);
await c.query(`create database ${db}`);
await c.end();
const u = new URL(admin);
u.pathname = `/${db}`;
const url = u.toString();
const dataDir = mkdtempSync(join(tmpdir(), 'bdcert-bench-verify-'));
const config = loadConfig({
  DATABASE_URL: url,
  DATA_DIR: dataDir,
  BASE_URL: 'https://bdc.example.gov.cn',
  DB_POOL_SIZE: '8',
});
const store = await openStore({ databaseUrl: url, poolSize: 8 });
await migrateToLatest(store.db);
const services = await createServices(config, store, { env: { BDCERT_MASTER_KEY: '6b'.repeat(32) } });
await DEMO_STEPS[0]!.run({ config, store, notes: [] });
const agency = (
  await store.db.selectFrom('agencies').select(['id']).where('region_code', '=', '411526').executeTakeFirstOrThrow()
).id;
const t0 = performance.now();
await sql`insert into units (unit_no, agency_id, region_code, location) values ('411526001002GB00001F00010203', ${agency}, '411526', '潢川县春申街道跃进路88号')`.execute(
  store.db,
);
const entry = '00000000-0000-4000-8000-000000000001';
await sql`insert into register_entries (id, agency_id, business_no, registration_type, unit_no, recorded_at, source, payload_enc, payload_sm3, outcome)
  values (${entry}, ${agency}, 'BENCH', '900', '411526001002GB00001F00010203', now(), 'stock-import', 'x', 'x', '{}'::jsonb)`.execute(
  store.db,
);
// Synthetic certificates: real shape, synthetic content (the endpoint reads the row and the agency, nothing else).
await sql`insert into certificates (id, agency_id, kind, year, serial, version, certificate_no, identifier, status, unit_no, entry_id,
    face_enc, holder_keys, holder_display, location, registered_on, verify_token, ofd_blob, sealed_at)
  select gen_random_uuid(), ${agency}, 'property-certificate', 2020, g, 1,
    '豫(2020)潢川县不动产权第' || lpad(g::text, 7, '0') || '号',
    '1.2.156.3005.2.11100000MB03271699001.11411526MB1A00028N.2020' || lpad(g::text, 7, '0') || '.001.0',
    case when g % 10 = 0 then 'cancelled' else 'issued' end,
    '411526001002GB00001F00010203', ${entry}, 'x', array[md5(g::text)], '张*', '潢川县春申街道跃进路88号', '20200615',
    'tok' || lpad(g::text, 21, '0'), 'x', now()
  from generate_series(1, ${N}) g`.execute(store.db);
await sql`analyze certificates`.execute(store.db);
const loadS = (performance.now() - t0) / 1000;
const app = await buildServer({ config, store, plugins: routePlugins(services), logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as { port: number }).port;
const lua = join(dataDir, 'verify.lua');
writeFileSync(
  lua,
  `math.randomseed(os.time())\nrequest = function()\n  return wrk.format("GET", string.format("/api/v1/verify/tok%021d", math.random(1, ${N})))\nend\n`,
);
// wrk runs as its own process; the server must keep serving meanwhile, so never block this event loop on it.
const out = await new Promise<string>((resolve, reject) => {
  const p = spawn('wrk', ['-t2', `-c${CONNS}`, `-d${SECONDS}s`, '--latency', '-s', lua, `http://127.0.0.1:${port}`]);
  let text = '';
  p.stdout.on('data', (d: Buffer) => {
    text += d.toString();
  });
  p.on('error', (e) => reject(new Error(`wrk: ${e.message} (apt-get install wrk)`)));
  p.on('exit', () => resolve(text));
});
await app.close();
const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
const pct: Record<string, string> = {};
for (const m of out.matchAll(/^\s+(50|99)%\s+([\d.]+\w+)/gm)) pct[m[1]!] = m[2]!;
const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
const bench = (args: string[]) =>
  execFileSync('pgbench', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
bench(['-i', '-s', '10', '-q', url]);
const pgOut = bench(['-S', '-c', '8', '-j', '2', '-T', String(SECONDS), url]);
const tps = Number(/tps = ([\d.]+)/.exec(pgOut)?.[1]);
await store.close();
console.log(
  `certificates loaded: ${N.toLocaleString('en-US')} in ${loadS.toFixed(0)} s (PostgreSQL ${url.replace(/:[^:@/]*@/, ':***@')})`,
);
console.log(
  `GET /api/v1/verify/<token> (wrk, 2 threads, ${CONNS} connections, ${SECONDS}s): ${rps.toFixed(0)} req/s, p50 ${pct['50']}, p99 ${pct['99']}, non-2xx ${non2xx}`,
);
console.log(`pgbench -S (8 clients, ${SECONDS}s): ${tps.toFixed(0)} tps`);
console.log(`ratio verify/pgbench: ${((rps / tps) * 100).toFixed(0)} %  (target ≥ 50 %, p99 < 20 ms)`);
