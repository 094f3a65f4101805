import { hmacSm3 } from '../../crypto/sm3.js';
import { sm4GcmOpen, sm4GcmSeal } from '../../crypto/sm4.js';
import type { FieldCrypto } from '../context.js';

/**
 * FieldCrypto (Huangchuan 5.2.3 privacy, 5.2.7 encrypted storage; DESIGN.md "Storage"): SM4-GCM authenticated
 * encryption (the RFC 8998 construction, `src/crypto/sm4.ts`, fresh 96-bit IV per value) and HMAC-SM3 for exact-match
 * lookup. Both keys are derived from the master key with HMAC-SM3 under distinct labels, so neither reveals the other
 * or the master key. The label is also the GCM additional data: a value sealed for fields cannot be passed off as a
 * sealed key-store entry and vice versa.
 *
 * Ciphertext form: `f1:<base64url(sm4GcmSeal output)>`; the prefix lets keys or formats rotate later.
 */
const PREFIX = 'f1:';
const AAD = new TextEncoder().encode('bdcert/field-crypto/v1');

export function deriveKey(masterKey: Uint8Array, label: string, length: number): Uint8Array {
  return hmacSm3(masterKey, `bdcert/${label}`).subarray(0, length);
}

/** One normal form for lookups: NFKC (full-width digits → ASCII), trimmed, upper-case (ID check letter x → X). */
export function normaliseForIndex(value: string): string {
  return value.normalize('NFKC').trim().toUpperCase();
}

export function createFieldCrypto(masterKey: Uint8Array): FieldCrypto {
  if (masterKey.length < 16) throw new Error('master key must be at least 128 bits');
  const encKey = deriveKey(masterKey, 'field-crypto/sm4-gcm/v1', 16);
  const indexKey = deriveKey(masterKey, 'field-crypto/index/v1', 32);
  return {
    encrypt(plain: string): string {
      return PREFIX + Buffer.from(sm4GcmSeal(encKey, new TextEncoder().encode(plain), AAD)).toString('base64url');
    },
    decrypt(cipher: string): string {
      if (!cipher.startsWith(PREFIX)) throw new FieldDecryptError();
      try {
        const bytes = sm4GcmOpen(encKey, Buffer.from(cipher.slice(PREFIX.length), 'base64url'), AAD);
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new FieldDecryptError();
      }
    },
    index(plain: string): string {
      return Buffer.from(hmacSm3(indexKey, normaliseForIndex(plain))).toString('hex');
    },
  };
}

export class FieldDecryptError extends Error {
  constructor() {
    super('加密字段无法解密或已被篡改 / encrypted field cannot be decrypted or was tampered with');
    this.name = 'FieldDecryptError';
  }
}
