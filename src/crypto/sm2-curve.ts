import { randomBytes } from 'node:crypto';
import { weierstrassN } from '@noble/curves/abstract/weierstrass.js';
import { bigintToBytes, bytesToBigint, concatBytes, utf8 } from './bytes.js';
import { sm3 } from './sm3.js';

/**
 * SM2 signature arithmetic (GB/T 32918.2 §6–7) over any prime curve, on @noble/curves point arithmetic. It exists
 * for what OpenSSL cannot do: a caller-chosen k (to reproduce the standard's worked examples exactly) and the
 * Annex A test curve. Production signing uses OpenSSL through node:crypto (sm2.ts); tests check both agree.
 */
export interface Sm2CurveParams {
  readonly name: string;
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** GB/T 32918.5 recommended curve (sm2p256v1). */
export const SM2_P256: Sm2CurveParams = {
  name: 'sm2p256v1',
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

/** GM/T 0009 / GB/T 35276 default distinguishing identifier. */
export const SM2_DEFAULT_ID = '1234567812345678';

const pointCache = new Map<string, ReturnType<typeof weierstrassN<bigint>>>();
function pointsOf(c: Sm2CurveParams) {
  let P = pointCache.get(c.name);
  if (!P) {
    P = weierstrassN<bigint>({ p: c.p, n: c.n, h: 1n, a: c.a, b: c.b, Gx: c.Gx, Gy: c.Gy });
    pointCache.set(c.name, P);
  }
  return P;
}

const mod = (x: bigint, m: bigint) => ((x % m) + m) % m;
function invert(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  if (b !== 1n) throw new Error('not invertible');
  return mod(v, m);
}

export interface Sm2PublicPoint {
  readonly x: bigint;
  readonly y: bigint;
}

export function publicPointOf(c: Sm2CurveParams, d: bigint): Sm2PublicPoint {
  const P = pointsOf(c).BASE.multiply(d).toAffine();
  return { x: P.x, y: P.y };
}

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) — GB/T 32918.2 §5.5. */
export function computeZ(c: Sm2CurveParams, pub: Sm2PublicPoint, id: string | Uint8Array = SM2_DEFAULT_ID): Uint8Array {
  const idBytes = typeof id === 'string' ? utf8(id) : id;
  const bits = idBytes.length * 8;
  if (bits > 0xffff) throw new Error('SM2 ID too long');
  const L = 32;
  return sm3(
    new Uint8Array([bits >> 8, bits & 0xff]),
    idBytes,
    bigintToBytes(c.a, L),
    bigintToBytes(c.b, L),
    bigintToBytes(c.Gx, L),
    bigintToBytes(c.Gy, L),
    bigintToBytes(pub.x, L),
    bigintToBytes(pub.y, L),
  );
}

export interface RawSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/** GB/T 32918.2 §6.1. `k` only for reproducing published examples; otherwise a fresh random k per signature. */
export function signRaw(
  c: Sm2CurveParams,
  d: bigint,
  msg: Uint8Array,
  opts: { id?: string | Uint8Array; k?: bigint } = {},
): RawSignature & { e: bigint; z: Uint8Array } {
  const pub = publicPointOf(c, d);
  const z = computeZ(c, pub, opts.id ?? SM2_DEFAULT_ID);
  const e = bytesToBigint(sm3(concatBytes(z, msg)));
  const P = pointsOf(c);
  for (;;) {
    const k = opts.k ?? mod(bytesToBigint(randomBytes(40)), c.n - 1n) + 1n;
    const x1 = P.BASE.multiply(k).toAffine().x;
    const r = mod(e + x1, c.n);
    if (r === 0n || r + k === c.n) {
      if (opts.k !== undefined) throw new Error('given k is unusable');
      continue;
    }
    const s = mod(invert(1n + d, c.n) * (k - r * d), c.n);
    if (s === 0n) {
      if (opts.k !== undefined) throw new Error('given k is unusable');
      continue;
    }
    return { r, s, e, z };
  }
}

/** GB/T 32918.2 §7.1. */
export function verifyRaw(
  c: Sm2CurveParams,
  pub: Sm2PublicPoint,
  msg: Uint8Array,
  sig: RawSignature,
  id: string | Uint8Array = SM2_DEFAULT_ID,
): boolean {
  const { r, s } = sig;
  if (r < 1n || r >= c.n || s < 1n || s >= c.n) return false;
  const e = bytesToBigint(sm3(concatBytes(computeZ(c, pub, id), msg)));
  const t = mod(r + s, c.n);
  if (t === 0n) return false;
  const P = pointsOf(c);
  let Q: InstanceType<typeof P>;
  try {
    Q = P.fromAffine({ x: pub.x, y: pub.y });
    Q.assertValidity();
  } catch {
    return false;
  }
  const sum = P.BASE.multiply(s).add(Q.multiply(t));
  if (sum.equals(P.ZERO)) return false;
  return mod(e + sum.toAffine().x, c.n) === r;
}
