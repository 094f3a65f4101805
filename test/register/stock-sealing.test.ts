import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importStock } from '../../src/modules/imports/stock.js';
import { StockSealer } from '../../src/modules/imports/stock-sealing.js';
import { startBatch } from '../../src/modules/issuance/sealing.js';
import { type AppFixture, appFixture } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { stockRow, toCsv } from './support.js';

const stockCsv = (from: number, n: number, year = 2018) =>
  toCsv(Array.from({ length: n }, (_, k) => stockRow(from + k, year)));

describe(`StockSealer: sealing beside a stock import [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  before(async () => {
    fx = await appFixture();
  });
  after(async () => fx.close());

  test('a killed run’s batch is finished first, the rest sealed beside and after the import: each once, no empty batch', async () => {
    const deps = fx.services.issuance;
    const agency = await fx.agency('411526');
    const actor = { kind: 'system' as const, id: 'stock-sealer-test' };
    const dir = mkdtempSync(join(fx.dataDir, 'stock-sealer-'));
    const file = (name: string, csv: string) => {
      writeFileSync(join(dir, name), csv);
      return join(dir, name);
    };
    const opts = { agencyId: agency.id, skipInvalid: false, defaultKind: 'property-certificate' as const, actor };
    // The render workers warmed up (fonts loaded) by a first stock sealed the usual way.
    await importStock(deps, file('warm.csv', stockCsv(901, 3, 2017)), opts);
    await new StockSealer(deps, agency.id, actor).finish();
    // A run killed while sealing: five certificates pending, their stock batch still 'running'.
    await importStock(deps, file('first.csv', stockCsv(1, 5)), opts);
    const killed = await startBatch(deps, { agencyId: agency.id, trigger: 'stock', actor });
    const batchesBefore = new Set(
      (await fx.store.db.selectFrom('seal_batches').select('id').execute()).map((b) => b.id),
    );

    const progress: number[] = [];
    const sealer = new StockSealer(deps, agency.id, actor, (n) => progress.push(n), 20);
    const rep = await importStock(deps, file('second.csv', stockCsv(6, 200)), {
      ...opts,
      groupSize: 10,
      onValidated: () => sealer.start(),
    });
    assert.equal(rep.imported, 200);
    // Sealing has committed certificates while the 200 rows were still being recorded (20 groups).
    assert.ok(sealer.sealed > 0, 'sealing ran beside the import, not only after it');
    const done = await sealer.finish();
    assert.deepEqual(done, { sealed: 205, failed: 0 });

    const certs = await fx.store.db
      .selectFrom('certificates')
      .select(['certificate_no', 'status', 'seal_id'])
      .where('certificate_no', 'like', '豫(2018)潢川县不动产权第%')
      .execute();
    assert.equal(certs.length, 205);
    assert.ok(certs.every((c) => c.status === 'issued' && c.seal_id));
    const events = await fx.store.db
      .selectFrom('certificate_events')
      .innerJoin('certificates', 'certificates.id', 'certificate_events.certificate_id')
      .select('certificate_events.certificate_id')
      .where('certificate_events.event', '=', 'seal')
      .where('certificates.certificate_no', 'like', '豫(2018)潢川县不动产权第%')
      .execute();
    assert.equal(events.length, 205, 'one seal event per certificate');

    const batches = await fx.store.db
      .selectFrom('seal_batches')
      .select(['id', 'status', 'sealed', 'created_at'])
      .orderBy('created_at')
      .execute();
    assert.equal(batches.find((b) => b.id === killed.id)?.status, 'done', 'the killed run’s batch was finished');
    const mine = batches.filter((b) => !batchesBefore.has(b.id));
    assert.ok(mine.every((b) => b.status === 'done'));
    // Only the last batch (after the import) may find nothing left: none is started for an empty queue beside it.
    assert.ok(
      mine.slice(0, -1).every((b) => b.sealed > 0),
      JSON.stringify(mine.map((b) => b.sealed)),
    );
    assert.equal(progress.at(-1), 205);
    assert.ok(
      progress.every((n, i) => i === 0 || n >= progress[i - 1]!),
      'progress never goes back',
    );
  });
});
