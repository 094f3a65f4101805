import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import * as asn1js from 'asn1js';
import { bigintToBytes, bytesToBigint, bytesToHex, concatBytes, hexToBytes } from './bytes.js';
import {
  computeZ,
  publicPointOf,
  type RawSignature,
  SM2_DEFAULT_ID,
  SM2_P256,
  type Sm2PublicPoint,
} from './sm2-curve.js';

/**
 * SM2 keys and signatures (GB/T 32918, GM/T 0009). Signing and verification run in OpenSSL through node:crypto with
 * the stack-notes recipe: Node signs with an *empty* distinguishing ID (trap 1), so we feed it Z_A ‖ M ourselves,
 * where Z_A is computed with the real ID (default 1234567812345678). Keys are always imported from PKCS#8/SPKI with
 * the SM2 curve OID, which makes them real SM2 keys (trap 2: a freshly generated 'ec' key signs plain ECDSA).
 */
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_SM2_CURVE = '1.2.156.10197.1.301';
export const OID_SM3_WITH_SM2 = '1.2.156.10197.1.501';
export const OID_SM3 = '1.2.156.10197.1.401';

/** Anything that can make an SM2 signature (DER `SEQUENCE { r, s }`, default ID) — local key, HSM, signing server. */
export interface Sm2Signer {
  readonly publicKey: Sm2PublicKey;
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * A port to a thread that signs with this key (signing-thread.ts protocol), when the key store has one: a render
   * worker then signs without passing through the thread that holds this signer.
   */
  connect?(): MessagePort;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function ecAlgorithm(): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: OID_EC_PUBLIC_KEY }),
      new asn1js.ObjectIdentifier({ value: OID_SM2_CURVE }),
    ],
  });
}

export class Sm2PublicKey {
  readonly point: Sm2PublicPoint;
  private readonly keyObject: KeyObject;
  private readonly zCache = new Map<string, Uint8Array>();

  private constructor(point: Sm2PublicPoint) {
    this.point = point;
    this.keyObject = createPublicKey({ key: toBuffer(this.toSpkiDer()), format: 'der', type: 'spki' });
  }

  static fromPoint(point: Sm2PublicPoint): Sm2PublicKey {
    return new Sm2PublicKey(point);
  }

  /** Uncompressed point `04 ‖ x ‖ y` (65 bytes, or its hex). */
  static fromRaw(raw: Uint8Array | string): Sm2PublicKey {
    const b = typeof raw === 'string' ? hexToBytes(raw) : raw;
    if (b.length !== 65 || b[0] !== 0x04) throw new Error('SM2 public key: expected 65-byte uncompressed point');
    return new Sm2PublicKey({ x: bytesToBigint(b.subarray(1, 33)), y: bytesToBigint(b.subarray(33)) });
  }

  static fromSpkiDer(der: Uint8Array): Sm2PublicKey {
    const parsed = asn1js.fromBER(toBuffer(der));
    const seq = parsed.result as asn1js.Sequence;
    if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence)) throw new Error('SPKI: not DER');
    const alg = seq.valueBlock.value[0] as asn1js.Sequence | undefined;
    const bits = seq.valueBlock.value[1] as asn1js.BitString | undefined;
    const curve = alg?.valueBlock.value[1];
    if (!(curve instanceof asn1js.ObjectIdentifier) || curve.valueBlock.toString() !== OID_SM2_CURVE) {
      throw new Error('SPKI: not an SM2 public key');
    }
    if (!(bits instanceof asn1js.BitString)) throw new Error('SPKI: missing key bits');
    return Sm2PublicKey.fromRaw(new Uint8Array(bits.valueBlock.valueHexView));
  }

  static fromPem(pem: string): Sm2PublicKey {
    return Sm2PublicKey.fromSpkiDer(pemToDer(pem, 'PUBLIC KEY'));
  }

  toRaw(): Uint8Array {
    return concatBytes(new Uint8Array([4]), bigintToBytes(this.point.x, 32), bigintToBytes(this.point.y, 32));
  }

  toSpkiDer(): Uint8Array {
    const spki = new asn1js.Sequence({
      value: [ecAlgorithm(), new asn1js.BitString({ valueHex: this.toRaw() })],
    });
    return new Uint8Array(spki.toBER());
  }

  toPem(): string {
    return derToPem(this.toSpkiDer(), 'PUBLIC KEY');
  }

  /** Z_A for an ID, cached (it depends only on the key and the ID). */
  z(id: string = SM2_DEFAULT_ID): Uint8Array {
    let z = this.zCache.get(id);
    if (!z) {
      z = computeZ(SM2_P256, this.point, id);
      this.zCache.set(id, z);
    }
    return z;
  }

  /** Verifies a DER or raw (r‖s, 64 bytes) signature over `msg` with the ID. */
  verify(msg: Uint8Array, signature: Uint8Array, id: string = SM2_DEFAULT_ID): boolean {
    let der: Uint8Array;
    try {
      der = signature.length === 64 ? encodeSignatureDer(decodeSignatureRaw(signature)) : signature;
      decodeSignatureDer(der); // reject malformed DER before OpenSSL sees it
    } catch {
      return false;
    }
    return createVerify('sm3').update(this.z(id)).update(msg).verify(this.keyObject, toBuffer(der));
  }

  equals(other: Sm2PublicKey): boolean {
    return this.point.x === other.point.x && this.point.y === other.point.y;
  }
}

export class Sm2PrivateKey {
  readonly publicKey: Sm2PublicKey;
  private readonly keyObject: KeyObject;
  readonly #d: bigint;

  private constructor(d: bigint) {
    if (d < 1n || d >= SM2_P256.n - 1n) throw new Error('SM2 private key out of range');
    this.#d = d;
    this.publicKey = Sm2PublicKey.fromPoint(publicPointOf(SM2_P256, d));
    this.keyObject = createPrivateKey({ key: toBuffer(this.toPkcs8Der()), format: 'der', type: 'pkcs8' });
  }

  /** A new random key (generated by OpenSSL, then re-imported as SM2). */
  static generate(): Sm2PrivateKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    return Sm2PrivateKey.fromPkcs8Der(new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })));
  }

  static fromRaw(d: Uint8Array | string): Sm2PrivateKey {
    const b = typeof d === 'string' ? hexToBytes(d) : d;
    if (b.length !== 32) throw new Error('SM2 private key: expected 32 bytes');
    return new Sm2PrivateKey(bytesToBigint(b));
  }

  static fromPkcs8Der(der: Uint8Array): Sm2PrivateKey {
    const parsed = asn1js.fromBER(toBuffer(der));
    if (parsed.offset === -1) throw new Error('PKCS#8: not DER');
    const seq = parsed.result as asn1js.Sequence;
    const alg = seq.valueBlock.value[1] as asn1js.Sequence | undefined;
    const curve = alg?.valueBlock.value[1];
    if (!(curve instanceof asn1js.ObjectIdentifier) || curve.valueBlock.toString() !== OID_SM2_CURVE) {
      throw new Error('PKCS#8: not an SM2 private key');
    }
    const octets = seq.valueBlock.value[2] as asn1js.OctetString;
    const inner = asn1js.fromBER(octets.valueBlock.valueHexView);
    const ecpk = inner.result as asn1js.Sequence;
    const dOct = ecpk.valueBlock.value[1] as asn1js.OctetString;
    return new Sm2PrivateKey(bytesToBigint(new Uint8Array(dOct.valueBlock.valueHexView)));
  }

  static fromPem(pem: string): Sm2PrivateKey {
    return Sm2PrivateKey.fromPkcs8Der(pemToDer(pem, 'PRIVATE KEY'));
  }

  toRaw(): Uint8Array {
    return bigintToBytes(this.#d, 32);
  }

  toPkcs8Der(): Uint8Array {
    // ECPrivateKey (RFC 5915) with the public key, wrapped in PKCS#8 with the SM2 curve OID — what OpenSSL writes.
    const ecPrivateKey = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        new asn1js.OctetString({ valueHex: this.toRaw() }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 1 },
          value: [new asn1js.BitString({ valueHex: this.publicKey.toRaw() })],
        }),
      ],
    });
    const pkcs8 = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        ecAlgorithm(),
        new asn1js.OctetString({ valueHex: ecPrivateKey.toBER() }),
      ],
    });
    return new Uint8Array(pkcs8.toBER());
  }

  toPem(): string {
    return derToPem(this.toPkcs8Der(), 'PRIVATE KEY');
  }

  /** DER signature over `msg` with the ID (default 1234567812345678), by OpenSSL. */
  sign(msg: Uint8Array, id: string = SM2_DEFAULT_ID): Uint8Array {
    return new Uint8Array(createSign('sm3').update(this.publicKey.z(id)).update(msg).sign(this.keyObject));
  }

  /** The raw scalar, for the pure implementation (fixed-k vectors) only. */
  get scalar(): bigint {
    return this.#d;
  }

  asSigner(): Sm2Signer {
    return { publicKey: this.publicKey, sign: async (data) => this.sign(data) };
  }
}

export function encodeSignatureDer(sig: RawSignature): Uint8Array {
  const seq = new asn1js.Sequence({
    value: [asn1js.Integer.fromBigInt(sig.r), asn1js.Integer.fromBigInt(sig.s)],
  });
  return new Uint8Array(seq.toBER());
}

export function decodeSignatureDer(der: Uint8Array): RawSignature {
  const parsed = asn1js.fromBER(toBuffer(der));
  if (parsed.offset !== der.length) throw new Error('signature: not a single DER value');
  const seq = parsed.result;
  if (!(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length !== 2)
    throw new Error('signature: not SEQUENCE{r,s}');
  const [r, s] = seq.valueBlock.value as [asn1js.Integer, asn1js.Integer];
  if (!(r instanceof asn1js.Integer) || !(s instanceof asn1js.Integer)) throw new Error('signature: not INTEGERs');
  return { r: r.toBigInt(), s: s.toBigInt() };
}

export function decodeSignatureRaw(raw: Uint8Array): RawSignature {
  if (raw.length !== 64) throw new Error('raw signature: expected 64 bytes r‖s');
  return { r: bytesToBigint(raw.subarray(0, 32)), s: bytesToBigint(raw.subarray(32)) };
}

export function encodeSignatureRaw(sig: RawSignature): Uint8Array {
  return concatBytes(bigintToBytes(sig.r, 32), bigintToBytes(sig.s, 32));
}

export function pemToDer(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`PEM: no ${label} block`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = toBuffer(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export { bytesToHex };
