import { createHmac, randomBytes } from 'node:crypto';
import { sm4 } from 'sm-crypto-v2';
import type { FieldCrypto } from '../context.js';

/**
 * FieldCrypto (Huangchuan 5.2.3 privacy, 5.2.7 encrypted storage; DESIGN.md "Storage"): SM4-GCM authenticated
 * encryption (RFC 8998 cipher suite) with a fresh 96-bit IV per value, and HMAC-SM3 for exact-match lookup. Both keys
 * are derived from the master key with HMAC-SM3 under distinct labels, so neither reveals the other or the master key.
 *
 * Ciphertext form: `sm4gcm:v1:<base64url(iv ‖ ciphertext ‖ tag)>`; the version tag lets keys rotate later.
 */
const PREFIX = 'sm4gcm:v1:';

export function deriveKey(masterKey: Uint8Array, label: string, length: number): Buffer {
  return createHmac('sm3', masterKey).update(`bdcert/${label}`, 'utf8').digest().subarray(0, length);
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
      const iv = randomBytes(12);
      const r = sm4.encrypt(new TextEncoder().encode(plain), encKey, {
        mode: 'gcm',
        iv,
        output: 'array',
        outputTag: true,
      });
      if (!r.tag) throw new Error('SM4-GCM: no tag');
      return PREFIX + Buffer.concat([iv, r.output, r.tag]).toString('base64url');
    },
    decrypt(cipher: string): string {
      if (!cipher.startsWith(PREFIX)) throw new FieldDecryptError();
      const raw = Buffer.from(cipher.slice(PREFIX.length), 'base64url');
      if (raw.length < 12 + 16) throw new FieldDecryptError();
      const iv = raw.subarray(0, 12);
      const tag = raw.subarray(raw.length - 16);
      const body = raw.subarray(12, raw.length - 16);
      try {
        const bytes = sm4.decrypt(body, encKey, { mode: 'gcm', iv, tag, output: 'array' });
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new FieldDecryptError();
      }
    },
    index(plain: string): string {
      return createHmac('sm3', indexKey).update(normaliseForIndex(plain), 'utf8').digest('hex');
    },
  };
}

export class FieldDecryptError extends Error {
  constructor() {
    super('加密字段无法解密或已被篡改 / encrypted field cannot be decrypted or was tampered with');
    this.name = 'FieldDecryptError';
  }
}
