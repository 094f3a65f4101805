import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { renderCertificate } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { verifyOfd } from '../../src/documents/verify.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { T0, testSeal } from './support.js';

/**
 * The verifier's trust verdict (issue 5 §7 with issue 4 §2): a skipped certificate-chain check is "cannot confirm the
 * seal" (untrusted), never valid, unless the caller opts out; the signer's chain counts as much as the seal maker's.
 */
describe('verifyOfd: trust in the seal maker and the signer', () => {
  const YEAR = 365 * 86400_000;
  let dir: string;
  let ofd: Uint8Array;
  let roots: Uint8Array[];
  let foreignSignerOfd: Uint8Array;
  const status = (v: { checks: readonly { id: string; status: string }[] }, id: string) =>
    v.checks.find((c) => c.id === id)?.status;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-vtrust-'));
    const material = await testSeal();
    roots = material.roots;
    ofd = (await renderCertificate({ face: P, seal: material.seal, time: T0, docId: 'T', meta: {} })).ofd;
    // A seal made by the trusted maker for a signer certificate issued by some other CA.
    const keys = new LocalKeyStore(join(dir, 'k'), new Uint8Array(32).fill(4));
    const trusted = await DevCa.create(keys, new Date(T0.getTime() - YEAR));
    const rogue = await DevCa.create(keys, new Date(T0.getTime() - YEAR));
    const signer = Sm2PrivateKey.generate();
    const cert = await rogue.ca.issue(
      { commonName: '潢川县自然资源局' },
      signer.publicKey,
      'signer',
      new Date(T0.getTime() - YEAR),
      new Date(T0.getTime() + YEAR),
    );
    const picturePng = sealPng('潢川县自然资源局', 200);
    const sealDer = await makeSeal({
      esId: '4115260000001',
      name: '潢川县自然资源局不动产登记专用章',
      createDate: new Date(T0.getTime() - 86400_000),
      validFrom: new Date(T0.getTime() - 86400_000),
      validTo: new Date(T0.getTime() + YEAR),
      signerCertsDer: [cert],
      picture: { type: 'PNG', data: picturePng, widthMm: 42, heightMm: 42 },
      maker: trusted.ca.maker,
    });
    foreignSignerOfd = (
      await renderCertificate({
        face: P,
        seal: { sealDer, signerCertDer: cert, signer: signer.asSigner(), picturePng },
        time: T0,
        docId: 'F',
        meta: {},
      })
    ).ofd;
    roots = [...roots, trusted.ca.rootCertDer];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('with the trusted root: valid, the trust check passed', async () => {
    const v = await verifyOfd(ofd, { trustedRoots: roots });
    assert.equal(v.verdict, 'valid');
    assert.equal(v.valid, true);
    assert.equal(status(v, 'trust'), 'passed');
    assert.equal(status(v, 'ses.maker-certificate'), 'passed');
    assert.equal(status(v, 'ses.signer-chain'), 'passed');
  });

  test('without any trusted root: not valid but untrusted, the trust check skipped with the reason', async () => {
    const v = await verifyOfd(ofd);
    assert.equal(v.valid, false);
    assert.equal(v.verdict, 'untrusted');
    const trust = v.checks.find((c) => c.id === 'trust')!;
    assert.equal(trust.status, 'skipped');
    assert.match(trust.reason ?? '', /无法确认印章可信/);
    assert.ok(!v.checks.some((c) => c.status === 'failed'), 'nothing failed: integrity is intact');
    const empty = await verifyOfd(ofd, { trustedRoots: [] });
    assert.equal(empty.verdict, 'untrusted', 'an empty trust store is no trust store');
  });

  test('the caller may opt out explicitly: valid, and the trust check says it was skipped on request', async () => {
    const v = await verifyOfd(ofd, { skipTrustCheck: true });
    assert.equal(v.verdict, 'valid');
    assert.equal(v.valid, true);
    assert.match(v.checks.find((c) => c.id === 'trust')?.reason ?? '', /caller’s request/);
  });

  test('another CA’s root: invalid, both chains fail', async () => {
    const keys = new LocalKeyStore(join(dir, 'o'), new Uint8Array(32).fill(6));
    const other = await DevCa.create(keys, new Date(T0.getTime() - YEAR));
    const v = await verifyOfd(ofd, { trustedRoots: [other.ca.rootCertDer] });
    assert.equal(v.verdict, 'invalid');
    assert.equal(status(v, 'trust'), 'failed');
    assert.equal(status(v, 'ses.maker-certificate'), 'failed');
    assert.equal(status(v, 'ses.signer-chain'), 'failed');
  });

  test('a trusted seal maker does not vouch for a signer certificate from an untrusted CA', async () => {
    const v = await verifyOfd(foreignSignerOfd, { trustedRoots: roots });
    assert.equal(v.verdict, 'invalid');
    assert.equal(status(v, 'ses.maker-certificate'), 'passed');
    assert.equal(status(v, 'ses.signer-certificate'), 'passed', 'validity and usage alone are fine');
    assert.equal(status(v, 'ses.signer-chain'), 'failed');
    assert.equal(status(v, 'trust'), 'failed');
  });
});
