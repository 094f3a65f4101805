import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bytesToHex, hexToBytes, utf8 } from './bytes.js';
import { decodeSignatureDer, encodeSignatureDer, encodeSignatureRaw, Sm2PrivateKey, Sm2PublicKey } from './sm2.js';
import { computeZ, publicPointOf, SM2_P256, type Sm2CurveParams, signRaw, verifyRaw } from './sm2-curve.js';
import { hmacSm3, sm3Hex } from './sm3.js';

const h = (s: string) => BigInt(`0x${s.replace(/\s+/g, '')}`);
const MSG = utf8('message digest');

describe('SM3 (standards.md §8.1)', () => {
  const vectors: [string, string][] = [
    ['abc', '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0'],
    ['abcd'.repeat(16), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732'],
    ['', '1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b'],
    ['message digest', 'c522a942e89bd80d97dd666e7a5531b36188c9817149e9b258dfe51ece98ed77'],
  ];
  for (const [input, expected] of vectors) {
    test(`SM3(${JSON.stringify(input.slice(0, 16))}${input.length > 16 ? '…' : ''})`, () => {
      assert.equal(sm3Hex(input), expected);
    });
  }
  test('HMAC-SM3 follows RFC 2104 over SM3 (64-byte block)', () => {
    // Cross-check the construction: HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
    const key = utf8('key');
    const k = new Uint8Array(64);
    k.set(key);
    const ipad = k.map((b) => b ^ 0x36);
    const opad = k.map((b) => b ^ 0x5c);
    const inner = hexToBytes(sm3Hex(ipad, 'data'));
    assert.equal(bytesToHex(hmacSm3(key, 'data')), sm3Hex(opad, inner));
  });
});

describe('SM2 recommended curve (standards.md §8.3)', () => {
  const d = '3945208F7B2144B13F36E38AC6D39F958893936928 60B51A42FB81EF4DF7C5B8'.replace(/\s/g, '');
  const key = Sm2PrivateKey.fromRaw(d);
  const k = h('59276E27 D506861A 16680F3A D9C02DCC EF3CC1FA 3CDBE4CE 6D54B80D EAC1BC21');

  test('public key, Z and e match the example', () => {
    assert.equal(key.publicKey.point.x, h('09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020'));
    assert.equal(key.publicKey.point.y, h('CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13'));
    assert.equal(
      bytesToHex(key.publicKey.z()).toUpperCase(),
      'B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3',
    );
  });

  test('signing with the fixed k reproduces r and s exactly', () => {
    const sig = signRaw(SM2_P256, key.scalar, MSG, { k });
    assert.equal(sig.e, h('F0B43E94 BA45ACCA ACE692ED 534382EB 17E6AB5A 19CE7B31 F4486FDF C0D28640'));
    assert.equal(sig.r, h('F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3'));
    assert.equal(sig.s, h('B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA'));
  });

  test('the ID is honoured: ALICE123@YAHOO.COM gives its own Z, e, r, s', () => {
    const id = 'ALICE123@YAHOO.COM';
    const sig = signRaw(SM2_P256, key.scalar, MSG, { k, id });
    assert.equal(bytesToHex(sig.z).toUpperCase(), '26DB4BC1839BD22E97E1DAB667EC5E0A730D5E16521398B4435C576A93AFD7ED');
    assert.equal(sig.e, h('ABF7EB631D94615FD1A941D40E99932DDB1899E1DFAE7179B4A79417EA3743E5'));
    assert.equal(sig.r, h('B0E3E7D4AC2178F833AD73FA9D1191E41C76C8BFEDB5AD89040BA2E5184BDE58'));
    assert.equal(sig.s, h('CC8D096578F7DD2669AC1AC42F7E722BCFA42B9E0BE0B1B5DF7CA0B53FDD5750'));
    // and a signature made for one ID does not verify under the other
    assert.equal(key.publicKey.verify(MSG, encodeSignatureDer(sig), id), true);
    assert.equal(key.publicKey.verify(MSG, encodeSignatureDer(sig)), false);
  });

  test('the example signature verifies in raw and DER form (OpenSSL path and pure path)', () => {
    const sig = {
      r: h('F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3'),
      s: h('B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA'),
    };
    assert.equal(key.publicKey.verify(MSG, encodeSignatureRaw(sig)), true);
    assert.equal(key.publicKey.verify(MSG, encodeSignatureDer(sig)), true);
    assert.equal(verifyRaw(SM2_P256, key.publicKey.point, MSG, sig), true);
    assert.equal(key.publicKey.verify(utf8('message digesT'), encodeSignatureDer(sig)), false);
    assert.equal(verifyRaw(SM2_P256, key.publicKey.point, MSG, { r: sig.r, s: sig.s + 1n }), false);
  });

  test('OpenSSL-path signatures verify with the pure implementation and vice versa', () => {
    const k2 = Sm2PrivateKey.generate();
    for (let i = 0; i < 5; i++) {
      const m = utf8(`不动产登记电子证照 ${i}`);
      assert.equal(verifyRaw(SM2_P256, k2.publicKey.point, m, decodeSignatureDer(k2.sign(m))), true);
      assert.equal(k2.publicKey.verify(m, encodeSignatureDer(signRaw(SM2_P256, k2.scalar, m))), true);
    }
  });

  test('keys round-trip through PKCS#8/SPKI PEM and raw hex', () => {
    const k2 = Sm2PrivateKey.generate();
    const again = Sm2PrivateKey.fromPem(k2.toPem());
    assert.equal(bytesToHex(again.toRaw()), bytesToHex(k2.toRaw()));
    assert.ok(Sm2PublicKey.fromPem(k2.publicKey.toPem()).equals(k2.publicKey));
    assert.ok(Sm2PublicKey.fromRaw(bytesToHex(k2.publicKey.toRaw())).equals(k2.publicKey));
    assert.throws(() => Sm2PublicKey.fromRaw(new Uint8Array(64)), /65-byte/);
  });

  test('malformed signatures are rejected, not thrown', () => {
    assert.equal(key.publicKey.verify(MSG, new Uint8Array([0x30, 0x02, 0x01])), false);
    assert.equal(key.publicKey.verify(MSG, new Uint8Array(0)), false);
  });
});

describe('SM2 on the GB/T 32918.2 Annex A test curve (standards.md §8.4)', () => {
  const curve: Sm2CurveParams = {
    name: 'gbt32918-annex-a-fp256',
    p: h('8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3'),
    a: h('787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498'),
    b: h('63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A'),
    n: h('8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7'),
    Gx: h('421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D'),
    Gy: h('0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2'),
  };
  const d = h('128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263');
  const id = 'ALICE123@YAHOO.COM';

  test('public key, Z, e, r, s reproduce the example and the signature verifies', () => {
    const pub = publicPointOf(curve, d);
    assert.equal(pub.x, h('0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A'));
    assert.equal(pub.y, h('7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857'));
    assert.equal(
      bytesToHex(computeZ(curve, pub, id)).toUpperCase(),
      'F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A',
    );
    const sig = signRaw(curve, d, MSG, {
      id,
      k: h('6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F'),
    });
    assert.equal(sig.e, h('B524F552 CD82B8B0 28476E00 5C377FB1 9A87E6FC 682D48BB 5D42E3D9 B9EFFE76'));
    assert.equal(sig.r, h('40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1'));
    assert.equal(sig.s, h('6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7'));
    assert.equal(verifyRaw(curve, pub, MSG, sig, id), true);
    assert.equal(verifyRaw(curve, pub, MSG, sig, '1234567812345678'), false);
  });
});

describe('SM2 interoperability with the OpenSSL CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-sm2-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

  test('a bdcert signature verifies with openssl pkeyutl -pkeyopt distid:1234567812345678', () => {
    const key = Sm2PrivateKey.generate();
    const msg = utf8('不动产权证书 豫(2026)潢川县不动产权第0000001号');
    writeFileSync(join(dir, 'pub.pem'), key.publicKey.toPem());
    writeFileSync(join(dir, 'msg.bin'), msg);
    writeFileSync(join(dir, 'sig.der'), key.sign(msg));
    const out = run([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      'pub.pem',
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      'distid:1234567812345678',
      '-in',
      'msg.bin',
      '-sigfile',
      'sig.der',
    ]);
    assert.match(out, /Signature Verified Successfully/);
    // a tampered message fails at OpenSSL too
    writeFileSync(join(dir, 'msg.bin'), utf8('tampered'));
    assert.throws(() =>
      run([
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        'pub.pem',
        '-rawin',
        '-digest',
        'sm3',
        '-pkeyopt',
        'distid:1234567812345678',
        '-in',
        'msg.bin',
        '-sigfile',
        'sig.der',
      ]),
    );
  });

  test('an OpenSSL key and signature verify in bdcert', () => {
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'ossl.pem']);
    run(['pkey', '-in', 'ossl.pem', '-pubout', '-out', 'ossl-pub.pem']);
    writeFileSync(join(dir, 'm2.bin'), utf8('信息验证 / verification'));
    run([
      'pkeyutl',
      '-sign',
      '-inkey',
      'ossl.pem',
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      'distid:1234567812345678',
      '-in',
      'm2.bin',
      '-out',
      'ossl-sig.der',
    ]);
    const pub = Sm2PublicKey.fromPem(readFileSync(join(dir, 'ossl-pub.pem'), 'utf8'));
    const sig = new Uint8Array(readFileSync(join(dir, 'ossl-sig.der')));
    assert.equal(pub.verify(utf8('信息验证 / verification'), sig), true);
    assert.equal(pub.verify(utf8('信息验证 / verificatioN'), sig), false);
    // the private key OpenSSL wrote is readable too, and signs for the same public key
    const priv = Sm2PrivateKey.fromPem(readFileSync(join(dir, 'ossl.pem'), 'utf8'));
    assert.ok(priv.publicKey.equals(pub));
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});
