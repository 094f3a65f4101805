import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { createFieldCrypto, FieldDecryptError } from './field-crypto.js';

const master = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('FieldCrypto (SM4-GCM + HMAC-SM3)', () => {
  // The SM4-GCM primitive itself is checked against RFC 8998 in src/crypto.
  test('the index key is HMAC-SM3 of the master key under its label (GB/T 15852.2 construction)', () => {
    const fc = createFieldCrypto(master);
    const indexKey = createHmac('sm3', master).update('bdcert/field-crypto/index/v1').digest();
    assert.equal(
      fc.index('41152619800101123X'),
      createHmac('sm3', indexKey).update('41152619800101123X').digest('hex'),
    );
  });

  test('round-trips Chinese names and ID numbers, with a fresh IV each time', () => {
    const fc = createFieldCrypto(master);
    for (const v of ['张三', '𠈌䶮欧阳', '41152619800101123X', '']) {
      const c1 = fc.encrypt(v);
      const c2 = fc.encrypt(v);
      assert.notEqual(c1, c2);
      assert.ok(!c1.includes(v) || v === '');
      assert.match(c1, /^f1:[A-Za-z0-9_-]+$/);
      assert.equal(fc.decrypt(c1), v);
    }
  });

  test('a changed byte, a truncated value or another key is refused', () => {
    const fc = createFieldCrypto(master);
    const c = fc.encrypt('41152619800101123X');
    const raw = Buffer.from(c.slice('f1:'.length), 'base64url');
    raw[14] = (raw[14] ?? 0) ^ 1;
    assert.throws(() => fc.decrypt(`f1:${raw.toString('base64url')}`), FieldDecryptError);
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
