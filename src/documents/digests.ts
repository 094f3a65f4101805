import { sm3 } from '../crypto/sm3.js';

/**
 * SM3 of byte arrays that many certificates share — the agency's SESeal (52 KB, in every sealed package) and the
 * font subsets of the layouts' fixed text — computed once per object instead of once per certificate. Only bytes
 * registered with `shareDigest` are kept (by identity, weakly); nothing registered is ever changed afterwards.
 */
const shared = new WeakMap<Uint8Array, Uint8Array>();

export function shareDigest(bytes: Uint8Array): Uint8Array {
  let d = shared.get(bytes);
  if (!d) {
    d = sm3(bytes);
    shared.set(bytes, d);
  }
  return d;
}

/** SM3 of `bytes`: the remembered digest of shared bytes, else computed. */
export function digestOf(bytes: Uint8Array): Uint8Array {
  return shared.get(bytes) ?? sm3(bytes);
}
