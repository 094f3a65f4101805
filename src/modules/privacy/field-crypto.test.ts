import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { sm4 } from 'sm-crypto-v2';
import { createFieldCrypto, FieldDecryptError } from './field-crypto.js';

const master = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('FieldCrypto (SM4-GCM + HMAC-SM3)', () => {
  test('the SM4-GCM primitive matches the RFC 8998 test vector', () => {
    // RFC 8998 Appendix A.1 SM4-GCM.
    const key = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
    const iv = Buffer.from('00001234567800000000ABCD', 'hex');
    const aad = Buffer.from('FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2', 'hex');
    const pt = Buffer.from(
      'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA',
      'hex',
    );
    const r = sm4.encrypt(pt, key, { mode: 'gcm', iv, associatedData: aad, output: 'array', outputTag: true });
    assert.equal(
      Buffer.from(r.output).toString('hex').toUpperCase(),
      '17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D',
    );
    assert.equal(
      Buffer.from(r.tag ?? [])
        .toString('hex')
        .toUpperCase(),
      '83DE3541E4C2B58177E065A9BF7B62EC',
    );
  });

  test('round-trips Chinese names and ID numbers, with a fresh IV each time', () => {
    const fc = createFieldCrypto(master);
    for (const v of ['张三', '𠈌䶮欧阳', '41152619800101123X', '']) {
      const c1 = fc.encrypt(v);
      const c2 = fc.encrypt(v);
      assert.notEqual(c1, c2);
      assert.ok(!c1.includes(v) || v === '');
      assert.match(c1, /^sm4gcm:v1:[A-Za-z0-9_-]+$/);
      assert.equal(fc.decrypt(c1), v);
    }
  });

  test('a changed byte, a truncated value or another key is refused', () => {
    const fc = createFieldCrypto(master);
    const c = fc.encrypt('41152619800101123X');
    const raw = Buffer.from(c.slice('sm4gcm:v1:'.length), 'base64url');
    raw[14] = (raw[14] ?? 0) ^ 1;
    assert.throws(() => fc.decrypt(`sm4gcm:v1:${raw.toString('base64url')}`), FieldDecryptError);
    assert.throws(() => fc.decrypt(c.slice(0, 20)), FieldDecryptError);
    assert.throws(() => fc.decrypt('plain text'), FieldDecryptError);
    const other = createFieldCrypto(Buffer.alloc(32, 7));
    assert.throws(() => other.decrypt(c), FieldDecryptError);
  });

  test('index is keyed HMAC-SM3 over a normal form', () => {
    const fc = createFieldCrypto(master);
    const a = fc.index('41152619800101123x');
    assert.equal(a, fc.index(' 41152619800101123X '));
    assert.equal(a, fc.index('４１１５２６１９８００１０１１２３Ｘ')); // full-width digits
    assert.notEqual(a, fc.index('411526198001011234'));
    assert.notEqual(a, createFieldCrypto(Buffer.alloc(32, 7)).index('41152619800101123X'));
    // Not the plain SM3 of the value: without the key nothing can be looked up by guessing.
    assert.notEqual(a, createHmac('sm3', '').update('41152619800101123X').digest('hex'));
    assert.match(a, /^[0-9a-f]{64}$/);
  });
});
