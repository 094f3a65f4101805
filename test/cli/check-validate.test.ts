import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });

describe('bdcert check / validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('check prints a JSON verdict and exits 0/1', () => {
    const ok = cli('check', 'id', '11010519491231002X');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).valid, true);
    const bad = cli('check', 'uscc', '11100000MB03271698');
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).problems[0].code, 'USCC_CHECK');
    const div = cli('check', 'division', '411526');
    assert.equal(JSON.parse(div.stdout).name, '潢川县');
    assert.equal(cli('check', 'identifier', P.identifier).status, 0);
    const certno = cli('check', 'certno', '豫（2026）潢川县不动产权第0000123号');
    assert.equal(certno.status, 0);
    assert.equal(JSON.parse(certno.stdout).normalised, '豫(2026)潢川县不动产权第0000123号');
    assert.equal(cli('check', 'unit', '411526001002GB00123F0001020').status, 1);
  });

  const rows = [
    toChineseRecord('property-certificate', P),
    toChineseRecord('registration-proof', R),
    { ...toChineseRecord('property-certificate', P), 坐落: '', 面积: '-5' },
  ];

  test('validate reads CSV with Chinese headers and reports each problem by row and field', () => {
    const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const csv = `\uFEFF${headers.join(',')}\n${rows.map((r) => headers.map((h) => esc((r as Record<string, string>)[h] ?? '')).join(',')).join('\n')}\n`;
    writeFileSync(join(dir, 'faces.csv'), csv);
    const r = cli('validate', join(dir, 'faces.csv'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /第3行 row 3 {2}错误 error {2}location（坐落）/);
    assert.match(r.stdout, /第3行 row 3 {2}错误 error {2}area（面积）/);
    assert.doesNotMatch(r.stdout, /第1行|第2行/);
    assert.match(r.stdout, /共 3 行，1 行有错误/);
  });

  test('the committed template test/fixtures/domain/samples.csv holds the two samples and validates', () => {
    // The data preparers' template: Chinese headers of both kinds, one row each; it must not drift from samples.ts.
    const path = 'test/fixtures/domain/samples.csv';
    const two = rows.slice(0, 2);
    const headers = [...new Set(two.flatMap((r) => Object.keys(r)))];
    const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const expected = `\uFEFF${headers.join(',')}\n${two.map((r) => headers.map((h) => esc((r as Record<string, string>)[h] ?? '')).join(',')).join('\n')}\n`;
    assert.equal(readFileSync(path, 'utf8'), expected);
    const r = cli('validate', path);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /共 2 行，0 行有错误，0 条警告/);
  });

  test('validate reads XLSX and JSON too', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('照面信息');
    const headers = Object.keys(rows[0]!);
    ws.addRow(headers);
    ws.addRow(headers.map((h) => (rows[0] as Record<string, string>)[h]));
    await wb.xlsx.writeFile(join(dir, 'faces.xlsx'));
    const x = cli('validate', join(dir, 'faces.xlsx'));
    assert.equal(x.status, 0, x.stdout + x.stderr);
    writeFileSync(join(dir, 'faces.json'), JSON.stringify([P, { ...R, obligors: [] }]));
    const j = cli('validate', join(dir, 'faces.json'), '--json');
    assert.equal(j.status, 1);
    const out = JSON.parse(j.stdout);
    assert.equal(out.invalidRows, 1);
    assert.equal(out.report[0].row, 2);
    assert.match(out.report[0].problems[0].field, /^obligors/);
  });
});

describe('bdcert validate with BDCERT_CODE_TABLES', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-cli-codes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  test('the configured code tables apply, as on the server; a broken file stops with the variable named', () => {
    // 土地经营权 is not among the built-in 证明权利或事项; a province's configuration adds it (code 15).
    const file = join(dir, 'proof.json');
    writeFileSync(file, JSON.stringify([{ ...R, matter: '土地经营权', matterCode: '15' }]));
    const builtin = run({ BDCERT_CODE_TABLES: '' }, file, '--json');
    assert.equal(builtin.status, 1, builtin.stdout + builtin.stderr);
    assert.ok(
      JSON.parse(builtin.stdout).report[0].problems.some((p: { code: string }) => p.code === 'UNKNOWN_MATTER'),
      builtin.stdout,
    );
    const tables = join(dir, 'codes.json');
    writeFileSync(
      tables,
      JSON.stringify({
        version: '豫-2026-01',
        tables: { proofMatter: { entries: [{ code: '15', name: '土地经营权' }] } },
      }),
    );
    const configured = run({ BDCERT_CODE_TABLES: tables }, file, '--json');
    assert.equal(configured.status, 0, configured.stdout + configured.stderr);
    writeFileSync(join(dir, 'broken.json'), '{');
    const broken = run({ BDCERT_CODE_TABLES: join(dir, 'broken.json') }, file);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /BDCERT_CODE_TABLES=.*readable JSON/);
  });
});
