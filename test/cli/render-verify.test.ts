import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });

describe('bdcert render / verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-render-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('render takes 附件2 Chinese names, writes a sealed OFD and PDF; verify passes it and fails a tampered copy', () => {
    const row = toChineseRecord('property-certificate', P);
    for (const k of ['不动产权证书号', '电子证照标识', '信息二维码', '查询二维码']) delete row[k];
    writeFileSync(join(dir, 'face.json'), JSON.stringify(row));
    const r = cli('render', '--face', join(dir, 'face.json'), '--out', join(dir, 'out'));
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ofd: string; pdf: string; trustedRoot: string };
    assert.ok(readFileSync(out.pdf).subarray(0, 5).toString() === '%PDF-');
    const ok = cli('verify', out.ofd, '--offline', '--ca', out.trustedRoot);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /结论：有效 \/ verdict: VALID/);
    const bytes = readFileSync(out.ofd);
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(join(dir, 'bad.ofd'), bytes);
    const bad = cli('verify', join(dir, 'bad.ofd'), '--offline');
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /INVALID/);
  });

  test('render refuses invalid face data naming the field', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...P, area: -1 }));
    const r = cli('render', '--face', join(dir, 'bad.json'), '--out', join(dir, 'o2'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /area/);
  });
});
