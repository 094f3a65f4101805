// Child process for the import crash test: records the entries of a table with importEntries, printing
// "recorded <n>" after each row so the parent can kill -9 it mid-file; run again, it finishes the file.
import { openConfiguredStore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import * as catalogRepo from '../../src/modules/catalog/repository.js';
import { seedDemo } from '../../src/modules/demo/seed.js';
import { importEntries } from '../../src/modules/imports/entries.js';
import { createServices } from '../../src/modules/services.js';
import { migrateToLatest } from '../../src/store/migrate.js';

const [file] = process.argv.slice(2);
const config = loadConfig();
const store = await openConfiguredStore(config);
await migrateToLatest(store.db);
const services = await createServices(config, store);
await seedDemo(config, store);
const agency = (await catalogRepo.listAgencies(store.db)).find((a) => a.region_code === '411526')!;
const rep = await importEntries(services.issuance, file!, {
  agencyId: agency.id,
  skipInvalid: false,
  actor: { kind: 'system', id: 'import-crash-test' },
  onProgress: (done) => console.log(`recorded ${done}`),
});
console.log(`done ${rep.recorded} ${rep.replayed}`);
await store.close();
