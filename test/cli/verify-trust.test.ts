import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { certificateToPem } from '../../src/crypto/x509.js';
import { renderCertificate } from '../../src/documents/render.js';
import { T0, testSeal } from '../documents/support.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });

/** `bdcert verify --offline`: no trusted root is UNTRUSTED (exit 2), not VALID; opting out is explicit and visible. */
describe('bdcert verify: trust roots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-vtrust-cli-'));
  const file = join(dir, 'c.ofd');
  const ca = join(dir, 'root.pem');
  const otherCa = join(dir, 'other.pem');
  before(async () => {
    const m = await testSeal();
    writeFileSync(file, (await renderCertificate({ face: P, seal: m.seal, time: T0, docId: 'C', meta: {} })).ofd);
    writeFileSync(ca, m.roots.map(certificateToPem).join(''));
    const other = await DevCa.create(new LocalKeyStore(join(dir, 'k'), new Uint8Array(32).fill(2)), T0);
    writeFileSync(otherCa, certificateToPem(other.ca.rootCertDer));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('offline without --ca: UNTRUSTED 「无法确认印章可信」, exit 2', () => {
    const r = cli('verify', file, '--offline');
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /无法确认印章可信.*verdict: UNTRUSTED/);
    assert.doesNotMatch(r.stdout, /verdict: VALID/);
    assert.match(r.stdout, /- 跳过 {2}印章与签章者证书可信/);
  });

  test('--no-trust-check: exit 0, and the verdict says the chains were not checked', () => {
    const r = cli('verify', file, '--offline', '--no-trust-check');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /verdict: VALID.*certificate chains NOT checked/);
  });

  test('--ca with the issuing root: VALID, exit 0; JSON carries the verdict', () => {
    const r = cli('verify', file, '--offline', '--ca', ca);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✔ 通过 {2}印章与签章者证书可信/);
    assert.match(r.stdout, /结论：有效 \/ verdict: VALID$/m);
    const j = cli('verify', file, '--offline', '--ca', ca, '--json');
    assert.equal(JSON.parse(j.stdout).verdict, 'valid');
  });

  test('--ca with another CA’s root: INVALID, exit 1, both chains named', () => {
    const r = cli('verify', file, '--offline', '--ca', otherCa);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✖ 失败 {2}制章者证书/);
    assert.match(r.stdout, /✖ 失败 {2}签章者证书链至信任根/);
    assert.match(r.stdout, /verdict: INVALID/);
  });
});
