// bench/stock — imports and seals N historical certificates end to end (stream a CSV → validate every row → register
// entries → sealed OFD + PDF) and prints certificates/s and peak RSS. Default N = 100,000 (the issue's figure) — pass
// BENCH_N to run smaller: BENCH_N=2000 npm run bench -- stock. DATABASE_URL selects PostgreSQL, or
// BDCERT_TEST_PG_URL (an admin URL: a fresh database is created and dropped afterwards); otherwise an embedded PGlite
// in a temporary directory. Rendering runs on the worker pool (BDCERT_RENDER_WORKERS, default one
// per core). Sealing runs beside the import as `bdcert import-stock` runs it (StockSealer; BENCH_OVERLAP=0: one after
// the other; BENCH_SEAL=0: the import alone, for its rate and CPU per row).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfiguredStore } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { toChineseRecord } from '../src/domain/field-names.js';
import * as catalogRepo from '../src/modules/catalog/repository.js';
import { seedDemo } from '../src/modules/demo/seed.js';
import { importStock } from '../src/modules/imports/stock.js';
import { StockSealer } from '../src/modules/imports/stock-sealing.js';
import { createServices } from '../src/modules/services.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../test/fixtures/domain/samples.js';
import { createTestDatabaseUrl } from '../test/support/store.js';
import { threadSplit, threadTicks } from './lib/threads.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const SEAL = process.env.BENCH_SEAL !== '0';
const OVERLAP = SEAL && process.env.BENCH_OVERLAP !== '0';
const SURNAMES = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲';
const ROADS = '春申跃进弦山航空北京南京黄河长江人民解放中山建设';
const dir = mkdtempSync(join(tmpdir(), 'bdcert-bench-stock-'));
const file = join(dir, 'stock.csv');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 200);
const rssAt: [number, number][] = [];
const importRssAt: [number, number][] = [];
const pg = process.env.DATABASE_URL ? undefined : await createTestDatabaseUrl();
try {
  // The file is written as a stream too, so the generator does not hold N rows. Names and addresses differ per row,
  // so every certificate needs its own font subsets, as real stock does.
  const out = createWriteStream(file);
  const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
  let headers: string[] | undefined;
  for (let i = 1; i <= N; i++) {
    const name = `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${GIVEN[(i * 13) % GIVEN.length]}`;
    const road = ROADS.slice((i * 2) % ROADS.length, ((i * 2) % ROADS.length) + 2);
    const row = toChineseRecord('property-certificate', {
      ...face,
      coOwnership: '单独所有',
      holders: [{ name, idType: '111', idNumber: '11010519491231002X', holderType: '1' }],
      location: `潢川县${road}路${i % 997}号${(i % 31) + 1}栋`,
      unitNo: `411526${String(Math.floor(i / 99999)).padStart(3, '0')}002GB${String((i % 99999) + 1).padStart(5, '0')}F00010203`,
      certificateNo: `豫(2020)潢川县不动产权第${String(i).padStart(7, '0')}号`,
      registeredOn: '20200615',
    });
    for (const k of ['电子证照标识', '信息二维码', '查询二维码']) delete row[k];
    headers ??= Object.keys(row);
    if (i === 1) out.write(`${headers.join(',')}\n`);
    const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    if (!out.write(`${headers.map((h) => esc(row[h] ?? '')).join(',')}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const config = loadConfig({
    ...process.env,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    DATA_DIR: join(dir, 'data'),
    BDCERT_MASTER_KEY: '5a'.repeat(32),
    LOG_LEVEL: 'silent',
  });
  const store = await openConfiguredStore(config);
  await migrateToLatest(store.db);
  const services = await createServices(config, store, { env: { BDCERT_MASTER_KEY: '5a'.repeat(32) } });
  await seedDemo(config, store);
  const agency = (await catalogRepo.listAgencies(store.db)).find((a) => a.region_code === '411526')!;
  const actor = { kind: 'system' as const, id: 'bench' };
  console.log(
    `cores: ${cpus().length}, node ${process.version}; database: ${store.kind}; N = ${N}; load average ${load()}`,
  );
  const cpu0 = process.cpuUsage();
  const threads0 = threadTicks();
  const t0 = performance.now();
  let validatedAt = 0;
  let sealed = 0;
  let failed = 0;
  let imported = 0;
  // A line every 30 s, so a long run shows its rates, RSS and the load while it runs (and if it is stopped).
  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    console.log(
      `  ${s.toFixed(0)} s: imported ${imported}, sealed ${sealed}; ` +
        `${(sealed / s).toFixed(1)} sealed/s so far; CPU ${((c.user + c.system) / 1e6).toFixed(0)} s; ` +
        `RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB; load ${load()}`,
    );
  }, 30_000);
  ticker.unref(); // a failed run still exits
  let lastRss = 0;
  // The product's own sealing beside the import (src/modules/imports/stock-sealing.ts, as `bdcert import-stock` runs it).
  const sealer = new StockSealer(services.issuance, agency.id, actor, (n) => {
    sealed = n;
    if (Math.floor(n / 10_000) > lastRss) {
      lastRss = Math.floor(n / 10_000);
      rssAt.push([n, process.memoryUsage().rss]);
    }
  });
  const step = Math.max(1000, Math.floor(N / 10));
  const rep = await importStock(services.issuance, file, {
    agencyId: agency.id,
    skipInvalid: false,
    actor,
    onProgress: (done) => {
      imported = done;
      if (done % step === 0) importRssAt.push([done, process.memoryUsage().rss]);
    },
    onValidated: () => {
      validatedAt = performance.now();
      if (OVERLAP) sealer.start();
    },
  });
  if (rep.aborted) throw new Error(`stock file rejected: ${JSON.stringify(rep.problems.slice(0, 3))}`);
  const t1 = performance.now();
  const cpuImport = process.cpuUsage(cpu0);
  const threads1 = threadTicks();
  const sealedDuringImport = sealed;
  if (SEAL) {
    const done = await sealer.finish();
    sealed = done.sealed;
    failed = done.failed;
  } else await sealer.stop();
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const threads2 = threadTicks();
  clearInterval(ticker);
  await store.close();
  const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);
  console.log(
    `imported ${rep.imported}, sealed ${sealed}, failed ${failed}; seal batches overlap the import: ${OVERLAP}`,
  );
  console.log(`validate (pass 1, every row):                        ${rate(N, validatedAt - t0)} rows/s`);
  console.log(
    `import (pass 2: register + number + identifier):     ${rate(N, t1 - validatedAt)} rows/s; ` +
      `CPU to the end of the import ${((cpuImport.user + cpuImport.system) / 1000 / N).toFixed(1)} ms per row` +
      (OVERLAP ? ' (includes the overlapping seal batches)' : ''),
  );
  console.log(
    `sealing finished ${((t2 - t1) / 1000).toFixed(1)} s after the import (render OFD + PDF on the pool, SM2, files); ` +
      `${sealedDuringImport} sealed while it ran`,
  );
  console.log(`end to end:                                          ${rate(N, t2 - t0)} certificates/s`);
  console.log(
    `CPU (all threads) ${((cpu.user + cpu.system) / 1000 / N).toFixed(1)} ms per certificate; load average ${load()}`,
  );
  // Which threads the CPU went to: the main thread runs the import, PGlite's WASM, SM2 and the batch's bookkeeping.
  const workers = config.renderWorkers ?? availableParallelism();
  const split = (a: typeof threads0, b: typeof threads0) => threadSplit(a, b, workers, N);
  if (threads2.size) {
    console.log(`  by thread, whole run:       ${split(threads0, threads2)} per certificate`);
    if (!OVERLAP && SEAL) console.log(`  by thread, sealing alone:   ${split(threads1, threads2)} per certificate`);
  }
  console.log(
    `peak RSS: ${(peak / 1048576).toFixed(0)} MiB` +
      (rssAt.length
        ? `; RSS by certificates sealed: ${rssAt.map(([n, r]) => `${n}: ${(r / 1048576).toFixed(0)}`).join(', ')} MiB`
        : ''),
  );
  const mib = (pairs: [number, number][]) => pairs.map(([n, r]) => `${n}: ${(r / 1048576).toFixed(0)}`).join(', ');
  if (importRssAt.length) console.log(`RSS by rows imported: ${mib(importRssAt)} MiB`);
} finally {
  clearInterval(sample);
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
}
