import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as asn1js from 'asn1js';
import { checkSealPng, sealPng } from '../documents/seal-image.js';
import { utf8 } from './bytes.js';
import { DevCa } from './dev-ca.js';
import { LocalKeyStore } from './keystore.js';
import { makeSeal, parseSESeal, parseSESSignature, signSES, verifySES } from './ses.js';
import { Sm2PrivateKey } from './sm2.js';
import { sm3 } from './sm3.js';
import { certificateToPem, parseCertificate, verifyChain } from './x509.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const YEAR = 365 * 86400_000;

describe('SM2 certificates, GB/T 38540 seals and signatures', () => {
  let dir: string;
  let ca: DevCa;
  let signerKey: Sm2PrivateKey;
  let signerCert: Uint8Array;
  let sealDer: Uint8Array;
  const picture = sealPng('潢川县自然资源局', 200);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-ses-'));
    const keys = new LocalKeyStore(join(dir, 'keys'), new Uint8Array(32).fill(7));
    ca = await DevCa.loadOrCreate(keys, join(dir, 'keys', 'dev-ca.json'), T0);
    signerKey = Sm2PrivateKey.generate();
    signerCert = await ca.issue(
      { commonName: '潢川县自然资源局', organization: '潢川县自然资源局' },
      signerKey.publicKey,
      'signer',
      T0,
      new Date(T0.getTime() + 3 * YEAR),
    );
    sealDer = await makeSeal({
      esId: '4115260012345',
      name: '潢川县自然资源局不动产登记专用章',
      createDate: T0,
      validFrom: T0,
      validTo: new Date(T0.getTime() + 2 * YEAR),
      signerCertsDer: [signerCert],
      picture: { type: 'PNG', data: picture, widthMm: 42, heightMm: 42 },
      maker: ca.maker,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a bdcert certificate chains to the dev root and is readable by openssl x509', () => {
    const c = parseCertificate(signerCert);
    assert.equal(c.subjectCommonName, '潢川县自然资源局');
    assert.equal(c.signatureAlgorithm, '1.2.156.10197.1.501');
    assert.deepEqual([...c.keyUsage].sort(), ['digitalSignature', 'nonRepudiation']);
    assert.ok(c.publicKey.equals(signerKey.publicKey));
    assert.deepEqual(
      verifyChain(signerCert, {
        roots: [ca.rootCertDer],
        at: new Date(T0.getTime() + YEAR),
        requireUsage: 'digitalSignature',
      }),
      { ok: true },
    );
    assert.equal(
      verifyChain(signerCert, { roots: [ca.rootCertDer], at: new Date(T0.getTime() + 4 * YEAR) }).ok,
      false,
      'expired',
    );
    assert.equal(verifyChain(signerCert, { roots: [], at: T0 }).ok, false, 'no trusted root');
    writeFileSync(join(dir, 'c.pem'), certificateToPem(signerCert));
    writeFileSync(join(dir, 'ca.pem'), certificateToPem(ca.rootCertDer));
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-text', '-nameopt', 'utf8'], {
      encoding: 'utf8',
    });
    assert.match(text, /SM2-with-SM3|1\.2\.156\.10197\.1\.501/);
    assert.match(text, /潢川县自然资源局/);
    assert.match(text, /Digital Signature/);
  });

  test('an SM2 certificate made by OpenSSL is accepted', () => {
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'ok.pem']);
    run([
      'req',
      '-new',
      '-x509',
      '-key',
      'ok.pem',
      '-sm3',
      '-sigopt',
      'distid:1234567812345678',
      '-subj',
      '/CN=OpenSSL SM2 CA',
      '-days',
      '30',
      '-out',
      'ossl-ca.pem',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    const c = parseCertificate(readFileSync(join(dir, 'ossl-ca.pem'), 'utf8'));
    assert.equal(c.subjectCommonName, 'OpenSSL SM2 CA');
    assert.equal(c.isCa, true);
    assert.deepEqual(verifyChain(c.der, { roots: [c.der], at: new Date() }), { ok: true });
  });

  test('seal round-trips and a signature verifies step by step', async () => {
    const s = parseSESeal(sealDer);
    assert.equal(s.version, 4);
    assert.equal(s.name, '潢川县自然资源局不动产登记专用章');
    assert.equal(s.esId, '4115260012345');
    assert.equal(s.picture.type, 'PNG');
    assert.deepEqual(checkSealPng(s.picture.data), { width: 200, height: 200, hasAlpha: true });
    const data = utf8('<ofd:Signature>…</ofd:Signature>');
    const sig = await signSES({
      sealDer,
      signerCertDer: signerCert,
      signer: signerKey.asSigner(),
      dataHash: sm3(data),
      propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml',
      time: new Date(T0.getTime() + 10 * 86400_000),
    });
    const v = verifySES(sig, { dataHash: sm3(data), trustedRoots: [ca.rootCertDer] });
    assert.equal(v.ok, true, JSON.stringify(v.steps));
    assert.deepEqual(
      v.steps.map((x) => `${x.id}:${x.status}`),
      [
        'structure:passed',
        'signer-signature:passed',
        'signer-in-seal:passed',
        'maker-signature:passed',
        'maker-certificate:passed',
        'seal-validity:passed',
        'signer-certificate:passed',
        'signer-chain:passed',
        'data-hash:passed',
      ],
    );
    assert.equal(v.trusted, true);
    assert.equal(parseSESSignature(sig).propertyInfo, '/Doc_0/Signs/Sign_0/Signature.xml');
  });

  test('without trusted roots both chain steps are skipped, never passed, and the result is not trusted', async () => {
    const data = utf8('no roots');
    const sig = await signSES({
      sealDer,
      signerCertDer: signerCert,
      signer: signerKey.asSigner(),
      dataHash: sm3(data),
      propertyInfo: 'p',
      time: new Date(T0.getTime() + 86400_000),
    });
    const v = verifySES(sig, { dataHash: sm3(data) });
    assert.equal(v.ok, true, 'nothing failed');
    assert.equal(v.trusted, false);
    const status = Object.fromEntries(v.steps.map((x) => [x.id, x.status]));
    assert.equal(status['maker-certificate'], 'skipped');
    assert.equal(status['signer-chain'], 'skipped');
    assert.equal(status['signer-certificate'], 'passed', 'validity and usage are still checked');
    // Another CA's root: both chains fail (the maker's and the signer's), and the seal is not trusted.
    const otherKeys = new LocalKeyStore(join(dir, 'other-keys'), new Uint8Array(32).fill(8));
    const other = await DevCa.create(otherKeys, T0);
    const foreign = verifySES(sig, { dataHash: sm3(data), trustedRoots: [other.ca.rootCertDer] });
    assert.equal(foreign.trusted, false);
    assert.deepEqual(
      foreign.steps.filter((x) => x.status === 'failed').map((x) => x.id),
      ['maker-certificate', 'signer-chain'],
    );
  });

  /** Flips one byte inside the first occurrence of `needle` in `hay`. */
  function flipInside(hay: Uint8Array, needle: Uint8Array, offset = 0): Uint8Array {
    const i = Buffer.from(hay).indexOf(Buffer.from(needle));
    assert.ok(i >= 0, 'needle present');
    const out = new Uint8Array(hay);
    out[i + offset] = out[i + offset]! ^ 0x01;
    return out;
  }

  test('tamper: one changed byte fails the right step', async () => {
    const data = utf8('signed data');
    const time = new Date(T0.getTime() + 86400_000);
    const sig = await signSES({
      sealDer,
      signerCertDer: signerCert,
      signer: signerKey.asSigner(),
      dataHash: sm3(data),
      propertyInfo: 'p',
      time,
    });
    const failed = (der: Uint8Array, dataHash = sm3(data)) =>
      verifySES(der, { dataHash, trustedRoots: [ca.rootCertDer] })
        .steps.filter((s) => s.status === 'failed')
        .map((s) => s.id);

    // seal info (the seal name inside SES_SealInfo): the maker's signature no longer matches — and, since the seal is
    // part of TBS_Sign, the signer's signature neither
    const nameBytes = utf8('不动产登记专用章');
    assert.deepEqual(failed(flipInside(sig, nameBytes)), ['signer-signature', 'maker-signature']);
    // the signed data: only the data hash step fails
    assert.deepEqual(failed(sig, sm3(utf8('signed datA'))), ['data-hash']);
    // the signature value itself (last bytes of the BIT STRING)
    const p = parseSESSignature(sig);
    assert.deepEqual(failed(flipInside(sig, p.signature, p.signature.length - 1)), ['signer-signature']);
    // the maker's signature value
    assert.deepEqual(failed(flipInside(sig, p.seal.makerSignature, p.seal.makerSignature.length - 1)), [
      'signer-signature',
      'maker-signature',
    ]);
    // garbage
    const g = verifySES(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x04]));
    assert.equal(g.ok, false);
    assert.equal(g.steps[0]!.status, 'failed');
    assert.ok(
      g.steps.slice(1).every((s) => s.status === 'skipped'),
      'later steps marked skipped, not hidden',
    );
  });

  test('signing outside the seal validity fails the validity step', async () => {
    const data = utf8('late');
    const sig = await signSES({
      sealDer,
      signerCertDer: signerCert,
      signer: signerKey.asSigner(),
      dataHash: sm3(data),
      propertyInfo: 'p',
      time: new Date(T0.getTime() + 2.5 * YEAR),
    });
    const v = verifySES(sig, { dataHash: sm3(data), trustedRoots: [ca.rootCertDer] });
    assert.deepEqual(
      v.steps.filter((s) => s.status === 'failed').map((s) => s.id),
      ['seal-validity'],
    );
  });

  test('a signer not listed in the seal fails that step', async () => {
    const other = Sm2PrivateKey.generate();
    const otherCert = await ca.issue(
      { commonName: '冒用者' },
      other.publicKey,
      'signer',
      T0,
      new Date(T0.getTime() + YEAR),
    );
    const data = utf8('x');
    const sig = await signSES({
      sealDer,
      signerCertDer: otherCert,
      signer: other.asSigner(),
      dataHash: sm3(data),
      propertyInfo: 'p',
      time: T0,
    });
    const v = verifySES(sig, { dataHash: sm3(data), trustedRoots: [ca.rootCertDer] });
    assert.deepEqual(
      v.steps.filter((s) => s.status === 'failed').map((s) => s.id),
      ['signer-in-seal'],
    );
  });

  test('the parser accepts extDatas in TBS_Sign tagged [0] EXPLICIT and untagged', async () => {
    const data = utf8('ext');
    const sig = await signSES({
      sealDer,
      signerCertDer: signerCert,
      signer: signerKey.asSigner(),
      dataHash: sm3(data),
      propertyInfo: 'p',
      time: T0,
    });
    const top = asn1js.fromBER(Buffer.from(sig)).result as asn1js.Sequence;
    const tbs = top.valueBlock.value[0] as asn1js.Sequence;
    const ext = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [
            new asn1js.ObjectIdentifier({ value: '1.2.3.4' }),
            new asn1js.Boolean({ value: false }),
            new asn1js.OctetString({ valueHex: new Uint8Array([1]).buffer }),
          ],
        }),
      ],
    });
    for (const extBlock of [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [ext] }), ext]) {
      const tbs2 = new asn1js.Sequence({ value: [...tbs.valueBlock.value, extBlock] });
      const tbs2Der = new Uint8Array(tbs2.toBER());
      const sig2 = signerKey.sign(tbs2Der);
      const whole = new asn1js.Sequence({
        value: [
          tbs2,
          top.valueBlock.value[1]!,
          top.valueBlock.value[2]!,
          new asn1js.BitString({ valueHex: Buffer.from(sig2) }),
        ],
      });
      const v = verifySES(new Uint8Array(whole.toBER()), { dataHash: sm3(data), trustedRoots: [ca.rootCertDer] });
      assert.equal(v.ok, true, JSON.stringify(v.steps.filter((s) => s.status !== 'passed')));
    }
  });

  test('GM/T 0031 (header version 2) seals and signatures are parsed and verified', async () => {
    // Build a v2 structure by hand per standards.md §7.5.
    const gt = (d: Date) => new asn1js.UTCTime({ valueDate: d });
    const info = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [
            new asn1js.IA5String({ value: 'ES' }),
            new asn1js.Integer({ value: 2 }),
            new asn1js.IA5String({ value: 'legacy' }),
          ],
        }),
        new asn1js.IA5String({ value: 'OLD-0001' }),
        new asn1js.Sequence({
          value: [
            new asn1js.Integer({ value: 1 }),
            new asn1js.Utf8String({ value: '某县国土资源局不动产登记专用章' }),
            new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: Buffer.from(signerCert) })] }),
            gt(T0),
            gt(T0),
            gt(new Date(T0.getTime() + YEAR)),
          ],
        }),
        new asn1js.Sequence({
          value: [
            new asn1js.IA5String({ value: 'PNG' }),
            new asn1js.OctetString({ valueHex: Buffer.from(picture) }),
            new asn1js.Integer({ value: 40 }),
            new asn1js.Integer({ value: 40 }),
          ],
        }),
      ],
    });
    const makerSig = await ca.maker.signer.sign(new Uint8Array(info.toBER()));
    const seal = new asn1js.Sequence({
      value: [
        info,
        new asn1js.Sequence({
          value: [
            new asn1js.OctetString({ valueHex: Buffer.from(ca.makerCertDer) }),
            new asn1js.ObjectIdentifier({ value: '1.2.156.10197.1.501' }),
            new asn1js.BitString({ valueHex: Buffer.from(makerSig) }),
          ],
        }),
      ],
    });
    const data = utf8('v2 data');
    const tbs = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 2 }),
        seal,
        new asn1js.BitString({ valueHex: Buffer.from('20260110120000Z') }),
        new asn1js.BitString({ valueHex: Buffer.from(sm3(data)) }),
        new asn1js.IA5String({ value: 'p' }),
        new asn1js.OctetString({ valueHex: Buffer.from(signerCert) }),
        new asn1js.ObjectIdentifier({ value: '1.2.156.10197.1.501' }),
      ],
    });
    const s = signerKey.sign(new Uint8Array(tbs.toBER()));
    const sigDer = new Uint8Array(
      new asn1js.Sequence({ value: [tbs, new asn1js.BitString({ valueHex: Buffer.from(s) })] }).toBER(),
    );
    const parsedSeal = parseSESeal(new Uint8Array(seal.toBER()));
    assert.equal(parsedSeal.version, 2);
    assert.equal(parsedSeal.name, '某县国土资源局不动产登记专用章');
    const v = verifySES(sigDer, { dataHash: sm3(data), trustedRoots: [ca.rootCertDer] });
    assert.equal(v.ok, true, JSON.stringify(v.steps.filter((x) => x.status !== 'passed')));
    assert.equal(v.signingTime?.toISOString(), '2026-01-10T12:00:00.000Z');
  });
});
