// Child process for the crash test: `prepare N` records N entries and opens a sealing batch; `seal` resumes every
// unfinished batch, printing "sealed <n>" after each small chunk so the parent can kill -9 it mid-batch.
import { openConfiguredStore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import * as catalogRepo from '../../src/modules/catalog/repository.js';
import { seedDemo } from '../../src/modules/demo/seed.js';
import * as repo from '../../src/modules/issuance/repository.js';
import { runBatch, startBatch } from '../../src/modules/issuance/sealing.js';
import { recordEntry } from '../../src/modules/issuance/service.js';
import { createServices } from '../../src/modules/services.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';

const [mode, nArg] = process.argv.slice(2);
const config = loadConfig();
const store = await openConfiguredStore(config);
await migrateToLatest(store.db);
const services = await createServices(config, store);
await seedDemo(config, store);
const agency = (await catalogRepo.listAgencies(store.db)).find((a) => a.region_code === '411526')!;
const actor = { kind: 'system' as const, id: 'crash-test' };
if (mode === 'prepare') {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...face } = P;
  for (let i = 1; i <= Number(nArg); i++) {
    const unitNo = `411526001002GB${String(i).padStart(5, '0')}F00010203`;
    await recordEntry(
      services.issuance,
      {
        businessNo: `CRASH${String(i).padStart(6, '0')}`,
        agencyId: agency.id,
        registrationType: '100',
        recordedAt: '2026-11-20T10:00:00+08:00',
        unitNo,
        location: P.location,
        face: {
          ...face,
          coOwnership: '单独所有',
          holders: [{ name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' }],
          unitNo,
        },
      },
      actor,
    );
  }
  const b = await startBatch(services.issuance, { agencyId: agency.id, trigger: 'clerk', actor });
  console.log(`batch ${b.id} ${b.total}`);
} else {
  for (const b of await repo.runningBatches(store.db)) {
    await runBatch(services.issuance, b.id, { chunk: 2, onProgress: (x) => console.log(`sealed ${x.sealed}`) });
  }
  console.log('done');
}
await store.close();
