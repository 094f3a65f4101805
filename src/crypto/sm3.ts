import { createHash, createHmac } from 'node:crypto';

/** SM3 (GB/T 32905) through OpenSSL in node:crypto — correct and fast (stack-notes: ~400 MB/s). */
export function sm3(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function sm3Hex(...parts: (Uint8Array | string)[]): string {
  return Buffer.from(sm3(...parts)).toString('hex');
}

/** HMAC-SM3 (GB/T 15852.2 with SM3), used for keyed lookups and key derivation. */
export function hmacSm3(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHmac('sm3', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
