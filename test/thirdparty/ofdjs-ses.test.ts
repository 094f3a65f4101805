import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal, parseSESeal, signSES } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { sm3 } from '../../src/crypto/sm3.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { loadOfdJs } from './ofdjs.js';

/**
 * Issue 4 "independent implementation": a seal and a signature made by bdcert's crypto code are parsed and verified
 * by ofd.js 0.2.6's own SES routines (its webpack bundle, run in Node) and its bundled sm-crypto.
 */
const T0 = new Date('2026-01-01T00:00:00Z');
const SIGNED_AT = new Date('2026-02-01T08:30:00Z');
const YEAR = 365 * 86400_000;
const hex = (s: string) => s.replace(/[\s]/g, '').toLowerCase();
const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = new Uint8Array(b);
  c[at] = (c[at] ?? 0) ^ 0x01;
  return c;
};

describe('ofd.js 0.2.6 reads and verifies bdcert seals and signatures', () => {
  let dir: string;
  let sealDer: Uint8Array;
  let signed: Uint8Array;
  const dataHash = sm3('<ofd:Signature>…</ofd:Signature>');
  const ofdjs = loadOfdJs();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-ofdjs-'));
    const keys = new LocalKeyStore(join(dir, 'keys'), new Uint8Array(32).fill(9));
    const ca = await DevCa.loadOrCreate(keys, join(dir, 'keys', 'dev-ca.json'), T0);
    const signerKey = Sm2PrivateKey.generate();
    const cert = await ca.issue(
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
      signerCertsDer: [cert],
      picture: { type: 'PNG', data: sealPng('潢川县自然资源局', 200), widthMm: 42, heightMm: 42 },
      maker: ca.maker,
    });
    signed = await signSES({
      sealDer,
      signerCertDer: cert,
      signer: signerKey.asSigner(),
      dataHash,
      propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml',
      time: SIGNED_AT,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('parseSesSignature reads every field and its SM2 check of the SES_Signature passes', async () => {
    const r = await ofdjs.parseSesSignature(signed);
    assert.equal(r.verifyRet, true);
    assert.equal(r.type, 'png');
    const s = r.SES_Signature;
    assert.equal(s.realVersion, 4);
    assert.deepEqual(s.toSign.eseal.esealInfo.header, { ID: 'ES', version: '4', Vid: 'bdcert' });
    assert.equal(s.toSign.eseal.esealInfo.esID, '4115260012345');
    assert.equal(s.toSign.eseal.esealInfo.property.name, '潢川县自然资源局不动产登记专用章');
    assert.equal(s.toSign.eseal.esealInfo.property.validStart, '2026-01-01 00:00:00 UTC');
    assert.equal(s.toSign.timeInfo, '2026-02-01 08:30:00 UTC');
    // ofd.js 0.2.6 decodes this IA5String with its parseStringUTF, which yields NULs of the right length in Node —
    // an ofd.js quirk (it never uses the field); the length still shows it found the field where we put it.
    assert.equal(s.toSign.propertyInfo.length, '/Doc_0/Signs/Sign_0/Signature.xml'.length);
    // ofd.js shows the BIT STRING with its unused-bits byte (00) in front.
    assert.equal(hex(s.toSign.dataHash), `00${Buffer.from(dataHash).toString('hex')}`);
    assert.match(s.signatureAlgID, /^1\.2\.156\.10197\.1\.501\b/);
  });

  test("the seal maker's signature over DER(SES_SealInfo) verifies with ofd.js's sm-crypto and its parsed maker cert", async () => {
    const r = await ofdjs.parseSesSignature(signed);
    const eseal = r.SES_Signature.toSign.eseal;
    let pub = hex(eseal.cert.subjectPublicKeyInfo.subjectPublicKey);
    if (pub.startsWith('00')) pub = pub.slice(2); // BIT STRING unused-bits byte, as ofd.js does for the signer
    let sig = hex(eseal.signedValue);
    if (sig.startsWith('00')) sig = sig.slice(2);
    const sealInfoDer = parseSESeal(sealDer).sealInfoDer;
    // The bytes handed over are a slice of the seal file itself, not a re-encoding.
    assert.ok(Buffer.from(sealDer).includes(Buffer.from(sealInfoDer)));
    assert.equal(ofdjs.sm2Verify(sealInfoDer, sig, pub), true);
    assert.equal(ofdjs.sm2Verify(flip(sealInfoDer, 40), sig, pub), false);
  });

  test('one changed byte in the signed data or in the signature makes ofd.js refuse it', async () => {
    const at = Buffer.from(signed).indexOf(Buffer.from(dataHash));
    assert.ok(at > 0);
    assert.equal((await ofdjs.parseSesSignature(flip(signed, at + 3))).verifyRet, false);
    assert.equal((await ofdjs.parseSesSignature(flip(signed, signed.length - 2))).verifyRet, false);
  });

  test("ofd.js's reference digest check agrees with our SM3 (by OID and by name)", () => {
    const file = new TextEncoder().encode('<ofd:OFD>…</ofd:OFD>');
    const hashed = Buffer.from(sm3(file)).toString('base64');
    assert.equal(ofdjs.digestCheck([{ fileData: file, hashed, checkMethod: '1.2.156.10197.1.401' }]), true);
    assert.equal(ofdjs.digestCheck([{ fileData: file, hashed, checkMethod: 'SM3' }]), true);
    assert.equal(ofdjs.digestCheck([{ fileData: flip(file, 2), hashed, checkMethod: 'SM3' }]), false);
  });
});
