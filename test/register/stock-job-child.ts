// Child process for the stock-job crash test, a node as `bdcert start` runs it: `create <file>` queues a stock
// import job (what POST /api/v1/imports/stock does); `run` continues every unfinished job as a node does on start,
// printing what the register holds every 25 ms so the parent can SIGKILL it at a chosen point.
import { readFileSync } from 'node:fs';
import { openConfiguredStore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import * as catalogRepo from '../../src/modules/catalog/repository.js';
import { seedDemo } from '../../src/modules/demo/seed.js';
import { createServices } from '../../src/modules/services.js';
import { migrateToLatest } from '../../src/store/migrate.js';

const [mode, file] = process.argv.slice(2);
const config = loadConfig();
const store = await openConfiguredStore(config);
await migrateToLatest(store.db);
const services = await createServices(config, store);
await seedDemo(config, store);
const agency = (await catalogRepo.listAgencies(store.db)).find((a) => a.region_code === '411526')!;
if (mode === 'create') {
  const job = await services.imports.create({
    kind: 'stock',
    agencyId: agency.id,
    fileName: 'stock.csv',
    bytes: readFileSync(file!),
    options: { skipInvalid: false, certificateKind: 'property-certificate' },
    actor: { kind: 'system', id: 'stock-job-crash-test' },
  });
  console.log(`import ${job.id}`);
} else {
  const poll = setInterval(() => {
    void Promise.all([
      store.db
        .selectFrom('register_entries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirst(),
      store.db
        .selectFrom('certificates')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'issued')
        .executeTakeFirst(),
      store.db.selectFrom('imports').select('status').executeTakeFirst(),
    ]).then(([e, c, j]) => console.log(`entries ${e?.n ?? 0} issued ${c?.n ?? 0} job ${j?.status ?? '-'}`));
  }, 25);
  const n = await services.imports.resume();
  clearInterval(poll);
  console.log(`resumed ${n}`);
}
await store.close();
