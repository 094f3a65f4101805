import { createHash, type Hash } from 'node:crypto';
import { sm3 } from '../crypto/sm3.js';

/**
 * SM3 of byte arrays that many certificates share — the agency's SESeal (52 KB, in every sealed package) and the
 * font subsets of the layouts' fixed text — computed once per object instead of once per certificate. Only bytes
 * registered with `shareDigest` are kept (by identity, weakly); nothing registered is ever changed afterwards.
 *
 * Whole files that begin with shared bytes get the same treatment for their prefix: the OFD zip and the PDF put their
 * shared parts first (the SESeal, the common font subsets, the seal picture), so the SM3 state after that prefix is
 * the same for every certificate of a layout and seal. The writers keep it (`SharedPrefix`) and register each file
 * they write with it; `digestOf` then hashes only the file's own bytes — the blob store's name of a certificate's
 * two files costs a third of what hashing them whole did.
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

/** Whether `bytes` (this very object) was registered as shared. */
export function isShared(bytes: Uint8Array): boolean {
  return shared.has(bytes);
}

/** Small ids for byte arrays by identity: keys of the combinations of shared bytes a writer has a prefix for. */
const identities = new WeakMap<Uint8Array, number>();
let nextIdentity = 1;
export function identityOf(bytes: Uint8Array): number {
  let id = identities.get(bytes);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(bytes, id);
  }
  return id;
}

/** The SM3 state after a file's first `length` bytes, which are the same bytes in every file it is registered for. */
export interface SharedPrefix {
  readonly length: number;
  /** Never updated itself: each use hashes on a copy. */
  readonly state: Hash;
}

export function sharedPrefix(bytes: Uint8Array): SharedPrefix {
  return { length: bytes.length, state: createHash('sm3').update(bytes) };
}

const prefixed = new WeakMap<Uint8Array, SharedPrefix>();

/** Registers that `file` begins with the bytes `prefix` was made from (the writer that made both knows). */
export function sharePrefix(file: Uint8Array, prefix: SharedPrefix): void {
  if (file.length >= prefix.length) prefixed.set(file, prefix);
}

/** SM3 of `bytes`: the remembered digest of shared bytes, else from a shared prefix's state, else computed. */
export function digestOf(bytes: Uint8Array): Uint8Array {
  const whole = shared.get(bytes);
  if (whole) return whole;
  const p = prefixed.get(bytes);
  if (p) return new Uint8Array(p.state.copy().update(bytes.subarray(p.length)).digest());
  return sm3(bytes);
}

export function digestHexOf(bytes: Uint8Array): string {
  return Buffer.from(digestOf(bytes)).toString('hex');
}
