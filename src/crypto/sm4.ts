import { randomBytes } from 'node:crypto';
import { sm4 } from 'sm-crypto-v2';
import { concatBytes } from './bytes.js';

/**
 * SM4-GCM (GB/T 32907 block cipher in GCM mode, the RFC 8998 construction) for data at rest. Node 20 has no
 * sm4-gcm (stack-notes), so sm-crypto-v2's implementation is used; its RFC 8998 vector is checked in the tests.
 *
 * Wire format of `sm4GcmSeal` (documented in docs/crypto.md):
 *   0x01 (format version) ‖ IV (12 bytes, random) ‖ ciphertext (same length as the plaintext) ‖ tag (16 bytes)
 * The version byte and any caller-supplied label are authenticated as additional data.
 */
const VERSION = 0x01;

export function sm4GcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (key.length !== 16) throw new Error('SM4 key must be 16 bytes');
  const iv = randomBytes(12);
  const r = sm4.encrypt(plaintext, key, {
    mode: 'gcm',
    iv,
    associatedData: concatBytes(new Uint8Array([VERSION]), aad),
    output: 'array',
    outputTag: true,
  });
  if (!r.tag) throw new Error('SM4-GCM produced no tag');
  return concatBytes(new Uint8Array([VERSION]), iv, r.output, r.tag);
}

export function sm4GcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (key.length !== 16) throw new Error('SM4 key must be 16 bytes');
  if (sealed.length < 1 + 12 + 16 || sealed[0] !== VERSION) throw new Error('SM4-GCM: unknown format');
  const iv = sealed.subarray(1, 13);
  const tag = sealed.subarray(sealed.length - 16);
  const body = sealed.subarray(13, sealed.length - 16);
  try {
    return sm4.decrypt(body, key, {
      mode: 'gcm',
      iv,
      tag,
      associatedData: concatBytes(new Uint8Array([VERSION]), aad),
      output: 'array',
    });
  } catch {
    throw new Error('SM4-GCM: authentication failed (wrong key or tampered data)');
  }
}
