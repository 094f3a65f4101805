import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { openStore } from '../../src/store/database.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { MASTER_KEY } from '../support/app.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

const HOLDER = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };

function stockRows(n: number, bad: Set<number>): Record<string, string>[] {
  return Array.from({ length: n }, (_, i) => {
    const serial = String(i + 1).padStart(7, '0');
    const unit = `411526001002GB${String(i + 1).padStart(5, '0')}F00010203`;
    const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
    const row = toChineseRecord('property-certificate', {
      ...face,
      holders: [HOLDER],
      coOwnership: '单独所有',
      unitNo: unit,
      certificateNo: `豫(2020)潢川县不动产权第${serial}号`,
      registeredOn: '20200615',
    });
    delete row.电子证照标识;
    delete row.信息二维码;
    delete row.查询二维码;
    if (bad.has(i + 1)) {
      const k = (i + 1) % 5;
      if (k === 0) row.面积 = '-1';
      else if (k === 1) row.权利人证件号 = '110105194912310021';
      else if (k === 2) row.坐落 = '';
      else if (k === 3) row.不动产权证书号 = `豫2020潢川县不动产权第${serial}号`;
      else row.登记时间 = '20200231';
    }
    return row;
  });
}

function toCsv(rows: Record<string, string>[]): string {
  const headers = Object.keys(rows[0]!);
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${headers.join(',')}\n${rows.map((r) => headers.map((h) => esc(r[h] ?? '')).join(',')).join('\n')}\n`;
}

describe(`bdcert import-stock [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-stock-'));
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  async function env(): Promise<NodeJS.ProcessEnv> {
    const pg = await createTestDatabaseUrl();
    if (pg) cleanups.push(pg.drop);
    const dataDir = mkdtempSync(join(dir, 'data-'));
    return {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: pg?.url ?? '',
      BDCERT_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
    };
  }
  const run = (e: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'import-stock', ...args], {
      encoding: 'utf8',
      env: e,
      cwd: process.cwd(),
    });
  async function certificates(e: NodeJS.ProcessEnv): Promise<{ n: number; numbers: string[] }> {
    const s = await openStore(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : { dataDir: e.DATA_DIR! });
    try {
      const rows = await s.db.selectFrom('certificates').select('certificate_no').orderBy('certificate_no').execute();
      return { n: rows.length, numbers: rows.map((r) => r.certificate_no) };
    } finally {
      await s.close();
    }
  }

  const BAD = new Set([3, 77, 150, 222, 401, 555, 600, 789, 901, 1000]);
  const file = join(dir, 'stock.csv');
  writeFileSync(file, toCsv(stockRows(1000, BAD)));

  test('1,000 rows with 10 bad ones: exactly those 10 are reported with field paths, nothing is imported', async () => {
    const e = await env();
    const r = run(e, file, '--agency', '411526', '--no-seal');
    assert.equal(r.status, 1, r.stderr);
    const reported = [...new Set([...r.stdout.matchAll(/^第(\d+)行/gm)].map((m) => Number(m[1])))].sort(
      (a, b) => a - b,
    );
    assert.deepEqual(
      reported,
      [...BAD].sort((a, b) => a - b),
    );
    assert.match(r.stdout, /第1000行 row 1000 {2}area（面积） {2}INVALID_TOO_SMALL/);
    assert.match(r.stdout, /第401行 row 401 {2}holders\[0\]\.idNumber（权利人证件号） {2}ID_NUMBER_CHECK/);
    assert.match(r.stdout, /nothing imported/);
    assert.equal((await certificates(e)).n, 0);
  });

  test('--skip-invalid imports the 990 valid rows with their paper numbers and writes 10 rejects as CSV like the input; a rerun adds nothing', async () => {
    const e = await env();
    const rejects = join(dir, 'rejects.csv');
    const r = run(e, file, '--agency', '411526', '--no-seal', '--skip-invalid', '--rejects', rejects);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /已导入 imported 990，已存在 already present 0，拒绝 rejected 10/);
    // The rejects file is a CSV with the input's columns plus 行号 and 错误, so it can be fixed and imported again.
    const rej = parse(readFileSync(rejects, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    assert.deepEqual(
      rej.map((x) => Number(x.行号)),
      [...BAD].sort((a, b) => a - b),
    );
    assert.deepEqual(Object.keys(rej[0]!).slice(2), Object.keys(stockRows(1, new Set())[0]!));
    assert.match(rej.at(-1)!.错误!, /area（面积） INVALID_TOO_SMALL/);
    assert.equal(rej.at(-1)!.面积, '-1');
    const wrong = run(e, file, '--agency', '411526', '--skip-invalid', '--rejects', join(dir, 'rejects.jsonl'));
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /input's format \(csv\)/);
    const c = await certificates(e);
    assert.equal(c.n, 990);
    assert.ok(c.numbers.includes('豫(2020)潢川县不动产权第0000001号'));
    assert.ok(!c.numbers.includes('豫(2020)潢川县不动产权第0000003号'));
    // interrupted or not, running again is safe: every row is already there
    const again = run(e, file, '--agency', '411526', '--no-seal', '--skip-invalid', '--rejects', rejects);
    assert.match(again.stdout, /已导入 imported 0，已存在 already present 990/);
    assert.equal((await certificates(e)).n, 990);
  });
});
