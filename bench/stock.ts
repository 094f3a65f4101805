// bench/stock — imports and seals N historical certificates end to end (stream a CSV → validate → register entries →
// sealed OFD + PDF) and prints certificates/s and peak RSS. Default N = 100,000 (the figure; hours at the
// current sealing rate) — pass BENCH_N to run smaller: BENCH_N=1000 npm run bench -- stock. DATABASE_URL selects
// PostgreSQL; otherwise an embedded PGlite in a temporary directory.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfiguredStore } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { toChineseRecord } from '../src/domain/field-names.js';
import * as catalogRepo from '../src/modules/catalog/repository.js';
import { seedDemo } from '../src/modules/demo/seed.js';
import { importStock } from '../src/modules/imports/stock.js';
import { runBatch, startBatch } from '../src/modules/issuance/sealing.js';
import { createServices } from '../src/modules/services.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../test/fixtures/domain/samples.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'bdcert-bench-stock-'));
const file = join(dir, 'stock.csv');
let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 200);
try {
  // The file is written as a stream too, so the generator does not hold N rows.
  const out = createWriteStream(file);
  const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
  let headers: string[] | undefined;
  for (let i = 1; i <= N; i++) {
    const row = toChineseRecord('property-certificate', {
      ...face,
      coOwnership: '单独所有',
      holders: [{ name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' }],
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
  const t0 = performance.now();
  const rep = await importStock(services.issuance, file, { agencyId: agency.id, skipInvalid: false, actor });
  if (rep.aborted) throw new Error(`stock file rejected: ${JSON.stringify(rep.problems.slice(0, 3))}`);
  const t1 = performance.now();
  const b = await startBatch(services.issuance, { agencyId: agency.id, trigger: 'stock', actor });
  const done = await runBatch(services.issuance, b.id);
  const t2 = performance.now();
  await store.close();
  console.log(
    `database: ${store.kind}; N = ${N}; imported ${rep.imported}, sealed ${done.sealed}, failed ${done.failed}`,
  );
  console.log(`import (validate + register + number + identifier): ${(N / ((t1 - t0) / 1000)).toFixed(1)} rows/s`);
  console.log(
    `seal (render OFD + PDF, SM2 seal, store files):   ${(N / ((t2 - t1) / 1000)).toFixed(1)} certificates/s`,
  );
  console.log(
    `end to end:                                         ${(N / ((t2 - t0) / 1000)).toFixed(1)} certificates/s`,
  );
  console.log(`peak RSS: ${(peak / 1048576).toFixed(0)} MiB`);
} finally {
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
}
