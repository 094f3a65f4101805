import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { importStock } from '../../src/modules/imports/stock.js';
import { startBatch } from '../../src/modules/issuance/sealing.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { stockRow, toCsv } from './support.js';

function stockRows(n: number, bad: ReadonlySet<number>, offset = 0): Record<string, string>[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1 + offset;
    const row = stockRow(i, 2019);
    if (bad.has(i)) row.面积 = '0';
    return row;
  });
}

describe(`stock import over HTTP for the console (issue 8) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let admin: string;
  let otherAdmin: string;
  let sealer: string;
  before(async () => {
    fx = await appFixture();
    admin = (await fx.staff('411526', 'hc-admin', ['agency-admin'])).token;
    otherAdmin = (await fx.staff('411300', 'ny-admin', ['agency-admin'])).token;
    sealer = (await fx.staff('411526', 'hc-sealer2', ['sealing-clerk'])).token;
  });
  after(async () => fx.close());

  const upload = (csv: string, query: string, token = admin) =>
    fx.app.inject({
      method: 'POST',
      url: `/api/v1/imports/stock${query}`,
      headers: { ...auth(token), 'content-type': 'text/csv' },
      payload: csv,
    });
  const waitFor = async (id: string, token = admin) => {
    for (let i = 0; i < 600; i++) {
      const r = await fx.app.inject({ url: `/api/v1/imports/${id}`, headers: auth(token) });
      assert.equal(r.statusCode, 200, r.body);
      if (!['validating', 'importing', 'sealing'].includes(r.json().status)) return r.json();
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('import did not finish');
  };
  const certCount = async () =>
    Number(
      (
        await fx.store.db
          .selectFrom('certificates')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  const BAD = new Set([4, 9]);
  const csv = toCsv(stockRows(12, BAD));

  test('202 { importId }; a file with errors ends invalid with every problem and nothing imported', async () => {
    const r = await upload(csv, '?kind=不动产权证书');
    assert.equal(r.statusCode, 202, r.body);
    const v = await waitFor(r.json().importId);
    assert.equal(v.status, 'invalid');
    assert.deepEqual([v.total, v.valid, v.invalid, v.imported, v.sealed], [12, 10, 2, 0, 0]);
    assert.deepEqual(
      v.problems.map((p: { row: number; field: string; code: string }) => `${p.row} ${p.field} ${p.code}`),
      ['4 area（面积） INVALID_TOO_SMALL', '9 area（面积） INVALID_TOO_SMALL'],
    );
    assert.ok(v.problems[0].message && v.problems[0].messageEn);
    assert.equal(await certCount(), 0);
  });

  test('skipInvalid: valid rows imported and sealed in one pass, progress counts, a CSV rejects file', async () => {
    const r = await upload(csv, '?kind=property-certificate&skipInvalid=true&fileName=存量2019.csv');
    assert.equal(r.statusCode, 202, r.body);
    const v = await waitFor(r.json().importId);
    assert.equal(v.status, 'done', JSON.stringify(v));
    assert.deepEqual([v.total, v.valid, v.invalid, v.imported, v.sealed], [12, 10, 2, 10, 10]);
    assert.equal(v.fileName, '存量2019.csv');
    const sealed = await fx.store.db.selectFrom('certificates').select('status').execute();
    assert.deepEqual(new Set(sealed.map((c) => c.status)), new Set(['issued']));
    const rej = await fx.app.inject({ url: v.rejectsUrl, headers: auth(admin) });
    assert.equal(rej.statusCode, 200);
    const rows = parse(rej.body, { columns: true, bom: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((x) => x.行号),
      ['4', '9'],
    );
    assert.equal(rows[0]!.不动产权证书号, '豫(2019)潢川县不动产权第0000004号');
  });

  test('the list is agency-scoped; another agency gets 404; a sealing clerk may not upload', async () => {
    const mine = await fx.app.inject({ url: '/api/v1/imports?kind=stock', headers: auth(admin) });
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().items.length, 2);
    assert.equal(mine.json().items[0].problems, undefined, 'the list leaves the problems to the detail');
    const theirs = await fx.app.inject({ url: '/api/v1/imports', headers: auth(otherAdmin) });
    assert.equal(theirs.json().items.length, 0);
    const id = mine.json().items[0].id;
    const peek = await fx.app.inject({ url: `/api/v1/imports/${id}`, headers: auth(otherAdmin) });
    assert.equal(peek.statusCode, 404);
    assert.equal(peek.json().error.code, 'NOT_FOUND');
    const clerk = await upload(csv, '', sealer);
    assert.equal(clerk.statusCode, 403);
    assert.equal(clerk.json().error.code, 'FORBIDDEN');
    const noKind = await upload(csv, '?kind=执照', admin);
    assert.equal(noKind.statusCode, 400);
  });

  test('a node that stopped mid-import: a restarted node continues it, no duplicates, everything sealed', async () => {
    const imports = fx.services.imports;
    const agency = await fx.agency('411526');
    const rows = stockRows(8, new Set(), 100);
    const created = await imports.create({
      kind: 'stock',
      agencyId: agency.id,
      fileName: 'stock-2019b.csv',
      bytes: Buffer.from(toCsv(rows)),
      options: { skipInvalid: false, certificateKind: 'property-certificate' },
      actor: { kind: 'system', id: 'test' },
    });
    // What the stopped node had done: the first 3 rows imported (each row commits on its own), its lease left behind.
    const dir = mkdtempSync(join(fx.dataDir, 'partial-'));
    writeFileSync(join(dir, 'part.csv'), toCsv(rows.slice(0, 3)));
    const partial = await importStock(fx.services.issuance, join(dir, 'part.csv'), {
      agencyId: agency.id,
      skipInvalid: false,
      defaultKind: 'property-certificate',
      actor: { kind: 'system', id: 'test' },
    });
    assert.equal(partial.imported, 3);
    await fx.store.db
      .updateTable('imports')
      .set({ status: 'importing', lease_owner: 'node-that-died', lease_until: new Date(fx.clock.now.getTime() - 1000) })
      .where('id', '=', created.id)
      .execute();
    const before = await certCount();
    assert.equal(await imports.resume(), 1);
    const v = await waitFor(created.id);
    assert.equal(v.status, 'done', JSON.stringify(v));
    assert.deepEqual([v.total, v.imported, v.replayed, v.invalid], [8, 8, 3, 0]);
    assert.equal(await certCount(), before + 5, 'the 3 rows already in are not imported twice');
    const numbers = await fx.store.db
      .selectFrom('certificates')
      .select(['certificate_no', 'status'])
      .where('certificate_no', 'like', '豫(2019)潢川县不动产权第00001%')
      .orderBy('certificate_no')
      .execute();
    assert.deepEqual(
      numbers.map((n) => n.certificate_no.slice(-5, -1)),
      ['0101', '0102', '0103', '0104', '0105', '0106', '0107', '0108'],
    );
    assert.ok(numbers.every((n) => n.status === 'issued'));
  });

  test('a node that stopped while sealing: the next one finishes the same batch', async () => {
    const imports = fx.services.imports;
    const agency = await fx.agency('411526');
    const rows = stockRows(3, new Set(), 200);
    const created = await imports.create({
      kind: 'stock',
      agencyId: agency.id,
      fileName: 'stock-2019c.csv',
      bytes: Buffer.from(toCsv(rows)),
      options: { skipInvalid: false, certificateKind: 'property-certificate' },
      actor: { kind: 'system', id: 'test' },
    });
    const dir = mkdtempSync(join(fx.dataDir, 'partial-'));
    writeFileSync(join(dir, 'all.csv'), toCsv(rows));
    await importStock(fx.services.issuance, join(dir, 'all.csv'), {
      agencyId: agency.id,
      skipInvalid: false,
      defaultKind: 'property-certificate',
      actor: { kind: 'system', id: 'test' },
    });
    const b = await startBatch(fx.services.issuance, {
      agencyId: agency.id,
      trigger: 'stock',
      actor: { kind: 'system', id: 'test' },
    });
    await fx.store.db
      .updateTable('imports')
      .set({
        status: 'sealing',
        batch_id: b.id,
        total: 3,
        valid: 3,
        imported: 3,
        lease_owner: 'node-that-died',
        lease_until: new Date(fx.clock.now.getTime() - 1),
      })
      .where('id', '=', created.id)
      .execute();
    await imports.resume();
    const v = await waitFor(created.id);
    assert.equal(v.status, 'done', JSON.stringify(v));
    assert.equal(v.batchId, b.id);
    assert.equal(v.sealed, 3);
  });
});
