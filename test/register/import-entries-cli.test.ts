import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { openStore } from '../../src/store/database.js';
import { MASTER_KEY } from '../support/app.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';
import { entryRow, propertyFace, toCsv, toXlsx } from './support.js';

const N = 15;

describe(`bdcert import-entries [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-entries-'));
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
    rmSync(dir, { recursive: true, force: true });
  });
  async function env(): Promise<NodeJS.ProcessEnv> {
    const pg = await createTestDatabaseUrl();
    if (pg) cleanups.push(pg.drop);
    return {
      ...process.env,
      DATA_DIR: mkdtempSync(join(dir, 'data-')),
      DATABASE_URL: pg?.url ?? '',
      BDCERT_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
    };
  }
  const open = (e: NodeJS.ProcessEnv) =>
    openStore(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : { dataDir: e.DATA_DIR! });
  const rows = Array.from({ length: N }, (_, k) =>
    entryRow({
      businessNo: `C2026112${String(k + 1).padStart(4, '0')}`,
      type: '首次登记',
      recordedAt: '2026-11-20 10:00',
      unit: k + 1,
      face: propertyFace(k + 1),
    }),
  );

  test(`kill -9 mid-file, run again: ${N} entries recorded once each, numbers gap-free, identifiers unique`, async () => {
    const e = await env();
    const file = join(dir, 'entries.csv');
    writeFileSync(file, toCsv(rows));
    const child = [process.execPath, ['--import', 'tsx', 'test/register/import-child.ts', file]] as const;
    const p = spawn(child[0], child[1], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let killedAt = -1;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = [...out.matchAll(/recorded (\d+)/g)].at(-1);
        if (m && Number(m[1]) >= 3 && killedAt < 0) {
          killedAt = Number(m[1]);
          p.kill('SIGKILL');
        }
      });
      p.on('exit', () => resolve());
      p.on('error', reject);
    });
    assert.ok(killedAt >= 3 && killedAt < N, `killed mid-file (after ${killedAt} of ${N})`);
    const again = spawnSync(child[0], child[1], { env: e, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const m = /done (\d+) (\d+)/.exec(again.stdout);
    assert.ok(m, again.stdout);
    assert.equal(Number(m[1]) + Number(m[2]), N);
    assert.ok(Number(m[2]) >= killedAt, 'rows recorded before the kill are replays');
    const store = await open(e);
    try {
      const entries = await store.db.selectFrom('register_entries').select('business_no').execute();
      assert.equal(entries.length, N);
      assert.equal(new Set(entries.map((x) => x.business_no)).size, N);
      const certs = await store.db
        .selectFrom('certificates')
        .select(['serial', 'identifier'])
        .orderBy('serial')
        .execute();
      assert.deepEqual(
        certs.map((c) => c.serial),
        Array.from({ length: N }, (_, i) => i + 1),
        'numbers gap-free',
      );
      assert.equal(new Set(certs.map((c) => c.identifier)).size, N);
    } finally {
      await store.close();
    }
  });

  test('errors printed by row and field with nothing recorded; --skip-invalid writes the rejects as XLSX like the input', async () => {
    const e = await env();
    const bad = rows.slice(0, 4).map((r, i) => (i === 2 ? { ...r, 面积: '-1', 业务号: `X${r.业务号}` } : r));
    const file = join(dir, 'entries.xlsx');
    writeFileSync(file, await toXlsx(bad));
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'import-entries', file, '--agency', '411526', ...args],
        {
          env: e,
          encoding: 'utf8',
        },
      );
    const r = cli();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /第3行 row 3 {2}face\.area（面积） {2}INVALID_TOO_SMALL/, r.stderr);
    assert.match(r.stdout, /nothing recorded/, r.stderr);
    const ok = cli('--skip-invalid');
    assert.equal(ok.status, 1, ok.stderr);
    assert.match(
      ok.stdout,
      /已登簿 recorded 3，已存在 already present 0，拒绝 rejected 1（见 .*entries\.rejects\.xlsx）/,
      ok.stderr,
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(dir, 'entries.rejects.xlsx'));
    const ws = wb.worksheets[0]!;
    assert.equal(ws.getRow(1).getCell(1).value, '行号');
    assert.equal(ws.getRow(2).getCell(1).value, 3);
    assert.match(String(ws.getRow(2).getCell(2).value), /INVALID_TOO_SMALL/);
    const again = cli('--skip-invalid');
    assert.match(again.stdout, /已登簿 recorded 0，已存在 already present 3/, again.stderr);
  });
});
