import * as asn1js from 'asn1js';
import { bytesToHex, equalBytes } from './bytes.js';
import { OID_SM3_WITH_SM2, type Sm2Signer } from './sm2.js';
import { sm3 } from './sm3.js';
import { parseCertificate, verifyChain } from './x509.js';

/**
 * GB/T 38540-2020 安全电子签章 (SES, header version 4), with parsing of GM/T 0031-2014 (header version 2) seals —
 * standards.md §7.1, §7.2, §7.5. Encoded and parsed with asn1js; every signature is checked over the bytes exactly as
 * received (the original DER slices), never over a re-encoding.
 */
export interface SealPicture {
  readonly type: 'PNG' | 'SVG' | 'GIF' | 'JPG' | 'BMP' | string;
  readonly data: Uint8Array;
  readonly widthMm: number;
  readonly heightMm: number;
}

export interface ParsedSeal {
  readonly version: number; // 4 (GB/T 38540) or 2 (GM/T 0031)
  readonly vid: string;
  readonly esId: string;
  readonly type: number;
  readonly name: string;
  readonly certListType: number; // 1 certs, 2 digests
  readonly signerCerts: readonly Uint8Array[];
  readonly signerCertDigests: readonly { alg: string; value: Uint8Array }[];
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly picture: SealPicture;
  readonly makerCertDer: Uint8Array;
  readonly signAlgId: string;
  readonly makerSignature: Uint8Array;
  /** DER of SES_SealInfo as received (what the maker signed). */
  readonly sealInfoDer: Uint8Array;
  readonly der: Uint8Array;
}

export interface ParsedSignature {
  readonly version: number;
  readonly seal: ParsedSeal;
  readonly time: Date;
  readonly dataHash: Uint8Array;
  readonly propertyInfo: string;
  readonly signerCertDer: Uint8Array;
  readonly signatureAlgId: string;
  readonly signature: Uint8Array;
  readonly tbsDer: Uint8Array;
  readonly der: Uint8Array;
}

const ab = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const gt = (d: Date) => new asn1js.GeneralizedTime({ valueDate: d });

export interface MakeSealOptions {
  readonly esId: string;
  readonly name: string;
  /** 印章类型 — not fixed by the standard (standards.md §7.1 note); configuration, default 1. */
  readonly type?: number;
  readonly vid?: string;
  readonly createDate?: Date;
  readonly validFrom: Date;
  readonly validTo: Date;
  readonly signerCertsDer: readonly Uint8Array[];
  readonly picture: SealPicture;
  readonly maker: { readonly certDer: Uint8Array; readonly signer: Sm2Signer };
}

/** 制章: SESeal whose signedValue is the maker's SM2 signature over DER(SES_SealInfo) (§7.2 step 1). */
export async function makeSeal(o: MakeSealOptions): Promise<Uint8Array> {
  const sealInfo = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.IA5String({ value: 'ES' }),
          new asn1js.Integer({ value: 4 }),
          new asn1js.IA5String({ value: o.vid ?? 'bdcert' }),
        ],
      }),
      new asn1js.IA5String({ value: o.esId }),
      new asn1js.Sequence({
        value: [
          new asn1js.Integer({ value: o.type ?? 1 }),
          new asn1js.Utf8String({ value: o.name }),
          new asn1js.Integer({ value: 1 }),
          new asn1js.Sequence({ value: o.signerCertsDer.map((c) => new asn1js.OctetString({ valueHex: ab(c) })) }),
          gt(o.createDate ?? new Date()),
          gt(o.validFrom),
          gt(o.validTo),
        ],
      }),
      new asn1js.Sequence({
        value: [
          new asn1js.IA5String({ value: o.picture.type }),
          new asn1js.OctetString({ valueHex: ab(o.picture.data) }),
          new asn1js.Integer({ value: Math.round(o.picture.widthMm) }),
          new asn1js.Integer({ value: Math.round(o.picture.heightMm) }),
        ],
      }),
    ],
  });
  const sealInfoDer = new Uint8Array(sealInfo.toBER());
  const sig = await o.maker.signer.sign(sealInfoDer);
  const seal = new asn1js.Sequence({
    value: [
      sealInfo,
      new asn1js.OctetString({ valueHex: ab(o.maker.certDer) }),
      new asn1js.ObjectIdentifier({ value: OID_SM3_WITH_SM2 }),
      new asn1js.BitString({ valueHex: ab(sig) }),
    ],
  });
  return new Uint8Array(seal.toBER());
}

export interface SignSesOptions {
  readonly sealDer: Uint8Array;
  readonly signerCertDer: Uint8Array;
  readonly signer: Sm2Signer;
  /** SM3 of the protected data — for OFD, of Sign_N/Signature.xml. */
  readonly dataHash: Uint8Array;
  /** 原文属性: the container path of Signature.xml, e.g. /Doc_0/Signs/Sign_0/Signature.xml. */
  readonly propertyInfo: string;
  readonly time: Date;
}

/** DER TLV; lengths in the definite short or long form. */
function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((s, c) => s + c.length, 0);
  const lenBytes: number[] = [];
  if (len < 0x80) lenBytes.push(len);
  else {
    for (let l = len; l > 0; l = Math.floor(l / 256)) lenBytes.unshift(l & 0xff);
    lenBytes.unshift(0x80 | lenBytes.length);
  }
  const out = new Uint8Array(1 + lenBytes.length + len);
  out[0] = tag;
  out.set(lenBytes, 1);
  let o = 1 + lenBytes.length;
  for (const c of content) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
const SIGNATURE_ALG_DER = new Uint8Array(new asn1js.ObjectIdentifier({ value: OID_SM3_WITH_SM2 }).toBER());

/**
 * 签章: SES_Signature with the signer's SM2 signature over DER(TBS_Sign) (§7.2 step 2). The seal is embedded as the
 * DER bytes it was issued with — no parse and re-encode of the ~50 KB SESeal (picture and certificates) per
 * signature, which was most of the time of sealing a certificate; the fields around it are written as DER directly.
 */
export async function signSES(o: SignSesOptions): Promise<Uint8Array> {
  // The seal must be one DER SEQUENCE spanning exactly the given bytes (its content was checked when it was made).
  if (o.sealDer[0] !== 0x30 || derLength(o.sealDer) !== o.sealDer.length) throw new Error('SESeal is not DER');
  if ([...o.propertyInfo].some((c) => c.charCodeAt(0) > 0x7f))
    throw new Error('propertyInfo must be ASCII (IA5String)');
  const tbsDer = tlv(
    0x30,
    tlv(0x02, new Uint8Array([4])),
    o.sealDer,
    new Uint8Array(gt(o.time).toBER()),
    tlv(0x03, new Uint8Array([0]), o.dataHash),
    tlv(0x16, new TextEncoder().encode(o.propertyInfo)),
  );
  const sig = await o.signer.sign(tbsDer);
  return tlv(0x30, tbsDer, tlv(0x04, o.signerCertDer), SIGNATURE_ALG_DER, tlv(0x03, new Uint8Array([0]), sig));
}

/** Total length (header + content) of the DER element at the start of `b`, or -1 when the header is malformed. */
function derLength(b: Uint8Array): number {
  if (b.length < 2) return -1;
  const first = b[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || b.length < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return 2 + n + len;
}

// ---------- parsing ----------

class SesFormatError extends Error {
  constructor(what: string) {
    super(`SES 结构无效 / invalid SES structure: ${what}`);
  }
}

function children(b: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(b instanceof asn1js.Sequence)) throw new SesFormatError(`${what} is not a SEQUENCE`);
  return b.valueBlock.value as asn1js.AsnType[];
}
function raw(b: asn1js.AsnType): Uint8Array {
  return new Uint8Array((b as asn1js.BaseBlock).valueBeforeDecodeView);
}
function str(b: asn1js.AsnType | undefined, what: string): string {
  if (b instanceof asn1js.IA5String || b instanceof asn1js.Utf8String || b instanceof asn1js.PrintableString) {
    return b.valueBlock.value;
  }
  throw new SesFormatError(`${what} is not a string`);
}
function int(b: asn1js.AsnType | undefined, what: string): number {
  if (!(b instanceof asn1js.Integer)) throw new SesFormatError(`${what} is not an INTEGER`);
  return Number(b.toBigInt());
}
function octets(b: asn1js.AsnType | undefined, what: string): Uint8Array {
  // Vendors put OCTET STRING where BIT STRING is specified and vice versa (ofdrw tolerates it; so do we).
  if (b instanceof asn1js.OctetString) return new Uint8Array(b.valueBlock.valueHexView);
  if (b instanceof asn1js.BitString) return new Uint8Array(b.valueBlock.valueHexView);
  throw new SesFormatError(`${what} is not an OCTET/BIT STRING`);
}
function time(b: asn1js.AsnType | undefined, what: string): Date {
  if (b instanceof asn1js.GeneralizedTime || b instanceof asn1js.UTCTime) return b.toDate();
  if (b instanceof asn1js.BitString || b instanceof asn1js.OctetString) {
    // GM/T 0031 TBS_Sign.timeInfo is a BIT STRING holding a time string
    const s = new TextDecoder().decode(octets(b, what));
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(s);
    if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  }
  throw new SesFormatError(`${what} is not a time`);
}
function oid(b: asn1js.AsnType | undefined, what: string): string {
  if (!(b instanceof asn1js.ObjectIdentifier)) throw new SesFormatError(`${what} is not an OID`);
  return b.valueBlock.toString();
}

function parseSealBlock(block: asn1js.AsnType): ParsedSeal {
  const top = children(block, 'SESeal');
  const info = children(top[0], 'SES_SealInfo');
  const header = children(info[0], 'SES_Header');
  const version = int(header[1], 'header.version');
  const property = children(info[2], 'SES_ESPropertyInfo');
  const picture = children(info[3], 'SES_ESPictrueInfo');
  let certListType = 1;
  let certListBlock: asn1js.AsnType | undefined;
  let dates: asn1js.AsnType[];
  if (version >= 4) {
    certListType = int(property[2], 'certListType');
    certListBlock = property[3];
    dates = property.slice(4, 7);
  } else {
    certListBlock = property[2];
    dates = property.slice(3, 6);
  }
  const list = children(certListBlock, 'certList');
  const signerCerts = certListType === 1 ? list.map((c, i) => octets(c, `certList[${i}]`)) : [];
  const signerCertDigests =
    certListType === 2
      ? list.map((c, i) => {
          const d = children(c, `certDigestList[${i}]`);
          return { alg: str(d[0], 'digest type'), value: octets(d[1], 'digest value') };
        })
      : [];
  let makerCertDer: Uint8Array;
  let signAlgId: string;
  let makerSignature: Uint8Array;
  if (version >= 4) {
    makerCertDer = octets(top[1], 'SESeal.cert');
    signAlgId = oid(top[2], 'SESeal.signAlgID');
    makerSignature = octets(top[3], 'SESeal.signedValue');
  } else {
    const signInfo = children(top[1], 'SES_SignInfo');
    makerCertDer = octets(signInfo[0], 'SES_SignInfo.cert');
    signAlgId = oid(signInfo[1], 'SES_SignInfo.signatureAlgorithm');
    makerSignature = octets(signInfo[2], 'SES_SignInfo.signData');
  }
  return {
    version,
    vid: str(header[2], 'header.vid'),
    esId: str(info[1], 'esID'),
    type: int(property[0], 'property.type'),
    name: str(property[1], 'property.name'),
    certListType,
    signerCerts,
    signerCertDigests,
    createDate: time(dates[0], 'createDate'),
    validStart: time(dates[1], 'validStart'),
    validEnd: time(dates[2], 'validEnd'),
    picture: {
      type: str(picture[0], 'picture.type'),
      data: octets(picture[1], 'picture.data'),
      widthMm: int(picture[2], 'picture.width'),
      heightMm: int(picture[3], 'picture.height'),
    },
    makerCertDer,
    signAlgId,
    makerSignature,
    sealInfoDer: raw(top[0]!),
    der: raw(block),
  };
}

function decode(der: Uint8Array): asn1js.AsnType {
  const r = asn1js.fromBER(ab(der));
  if (r.offset === -1 || r.offset !== der.length) throw new SesFormatError('not a single DER value');
  return r.result;
}

export function parseSESeal(der: Uint8Array): ParsedSeal {
  return parseSealBlock(decode(der));
}

export function parseSESSignature(der: Uint8Array): ParsedSignature {
  const top = children(decode(der), 'SES_Signature');
  const tbs = children(top[0], 'TBS_Sign');
  const version = int(tbs[0], 'TBS_Sign.version');
  const seal = parseSealBlock(tbs[1]!);
  if (version >= 4) {
    // extDatas, when present, may be [0] EXPLICIT (ofdrw) or untagged (Chingliu): both are accepted and ignored.
    return {
      version,
      seal,
      time: time(tbs[2], 'timeInfo'),
      dataHash: octets(tbs[3], 'dataHash'),
      propertyInfo: str(tbs[4], 'propertyInfo'),
      signerCertDer: octets(top[1], 'cert'),
      signatureAlgId: oid(top[2], 'signatureAlgID'),
      signature: octets(top[3], 'signature'),
      tbsDer: raw(top[0]!),
      der,
    };
  }
  // GM/T 0031: the signer cert and algorithm live inside TBS_Sign.
  return {
    version,
    seal,
    time: time(tbs[2], 'timeInfo'),
    dataHash: octets(tbs[3], 'dataHash'),
    propertyInfo: str(tbs[4], 'propertyInfo'),
    signerCertDer: octets(tbs[5], 'cert'),
    signatureAlgId: oid(tbs[6], 'signatureAlgorithm'),
    signature: octets(top[1], 'signature'),
    tbsDer: raw(top[0]!),
    der,
  };
}

// ---------- verification (§7.2 step 3, in order) ----------

export type StepStatus = 'passed' | 'failed' | 'skipped';
export interface VerificationStep {
  readonly id: string;
  readonly title: string; // zh
  readonly titleEn: string;
  readonly status: StepStatus;
  readonly reason?: string;
}

export interface SesVerification {
  readonly ok: boolean;
  readonly steps: readonly VerificationStep[];
  readonly seal?: { name: string; esId: string; validStart: Date; validEnd: Date; version: number };
  readonly signingTime?: Date;
  readonly signerSubject?: string;
  readonly parsed?: ParsedSignature;
  /**
   * Both certificate chains (seal maker and signer) reached a trusted root. False when a chain step failed or was
   * skipped (no trusted roots given): a caller must not call such a seal trustworthy (GB/T 38540 §7.2 steps 4 and 6
   * are checks of the certificates, not just of the signatures).
   */
  readonly trusted: boolean;
}

export interface VerifySesOptions {
  /** SM3 of the protected data (OFD: Signature.xml); when absent the data-hash step is skipped. */
  readonly dataHash?: Uint8Array;
  /**
   * Trusted CA certificates (DER): self-signed roots, and intermediates already checked against them (a trust
   * store holds both). When absent the two chain steps are skipped — not passed — and `trusted` is false.
   */
  readonly trustedRoots?: readonly Uint8Array[];
}

/**
 * Verifies an SES_Signature. Each step passes, fails or is skipped with a reason; after a fatal failure (the
 * structure cannot be read) the later steps are listed as skipped rather than hidden (DCC verifier-core style).
 */
export function verifySES(signatureDer: Uint8Array, opts: VerifySesOptions = {}): SesVerification {
  const steps: VerificationStep[] = [];
  const add = (id: string, title: string, titleEn: string, status: StepStatus, reason?: string) =>
    steps.push(reason === undefined ? { id, title, titleEn, status } : { id, title, titleEn, status, reason });
  const ALL: [string, string, string][] = [
    ['structure', '签章结构解析', 'signature structure'],
    ['signer-signature', '签章者签名值', 'signer signature over TBS_Sign'],
    ['signer-in-seal', '签章者证书属于印章授权列表', 'signer certificate listed in the seal'],
    ['maker-signature', '制章者签名值', 'seal maker signature over SES_SealInfo'],
    ['maker-certificate', '制章者证书', 'seal maker certificate'],
    ['seal-validity', '签章时印章在有效期内', 'seal valid at signing time'],
    ['signer-certificate', '签章者证书有效期与用途', 'signer certificate validity and usage'],
    ['signer-chain', '签章者证书链至信任根', 'signer certificate chains to a trusted root'],
    ['data-hash', '原文摘要一致', 'data hash matches'],
  ];
  let p: ParsedSignature;
  try {
    p = parseSESSignature(signatureDer);
    add('structure', ALL[0]![1], ALL[0]![2], 'passed');
  } catch (e) {
    add('structure', ALL[0]![1], ALL[0]![2], 'failed', (e as Error).message);
    for (const [id, t, te] of ALL.slice(1)) add(id, t, te, 'skipped', '签章结构无法解析 / structure unreadable');
    return { ok: false, steps, trusted: false };
  }
  const seal = p.seal;
  let signerCert: ReturnType<typeof parseCertificate> | undefined;
  try {
    signerCert = parseCertificate(p.signerCertDer);
  } catch {
    signerCert = undefined;
  }

  // 1. signer signature over DER(TBS_Sign)
  if (!signerCert)
    add('signer-signature', ALL[1]![1], ALL[1]![2], 'failed', '签章者证书无法解析 / signer certificate unreadable');
  else if (p.signatureAlgId !== OID_SM3_WITH_SM2)
    add('signer-signature', ALL[1]![1], ALL[1]![2], 'failed', `不支持的签名算法 ${p.signatureAlgId}`);
  else
    add(
      'signer-signature',
      ALL[1]![1],
      ALL[1]![2],
      signerCert.publicKey.verify(p.tbsDer, p.signature) ? 'passed' : 'failed',
      ...(signerCert.publicKey.verify(p.tbsDer, p.signature)
        ? []
        : ['签名值与签章数据不符 / signature does not match']),
    );

  // 2. signer cert listed in the seal
  const listed =
    seal.certListType === 1
      ? seal.signerCerts.some((c) => equalBytes(c, p.signerCertDer))
      : seal.signerCertDigests.some((d) => equalBytes(d.value, sm3(p.signerCertDer)));
  add(
    'signer-in-seal',
    ALL[2]![1],
    ALL[2]![2],
    listed ? 'passed' : 'failed',
    ...(listed ? [] : ['签章者证书不在印章的证书列表中 / signer not listed']),
  );

  // 3. maker signature over DER(SES_SealInfo)
  let maker: ReturnType<typeof parseCertificate> | undefined;
  try {
    maker = parseCertificate(seal.makerCertDer);
  } catch {
    maker = undefined;
  }
  const makerOk =
    !!maker && seal.signAlgId === OID_SM3_WITH_SM2 && maker.publicKey.verify(seal.sealInfoDer, seal.makerSignature);
  add(
    'maker-signature',
    ALL[3]![1],
    ALL[3]![2],
    makerOk ? 'passed' : 'failed',
    ...(makerOk ? [] : ['印章数据或制章签名被篡改 / seal info or maker signature altered']),
  );

  // 4. maker certificate: chain to a trusted root, valid when the seal was made
  if (!maker) add('maker-certificate', ALL[4]![1], ALL[4]![2], 'failed', '制章者证书无法解析 / unreadable');
  else if (!opts.trustedRoots?.length)
    add('maker-certificate', ALL[4]![1], ALL[4]![2], 'skipped', '未配置信任根 / no trusted roots configured');
  else {
    const c = verifyChain(seal.makerCertDer, {
      roots: opts.trustedRoots,
      at: seal.createDate,
      requireUsage: 'digitalSignature',
    });
    add(
      'maker-certificate',
      ALL[4]![1],
      ALL[4]![2],
      c.ok ? 'passed' : 'failed',
      ...(c.ok ? [] : [`${c.reason} / ${c.reasonEn}`]),
    );
  }

  // 5. seal validity at signing time
  const inValidity = seal.validStart <= p.time && p.time <= seal.validEnd;
  add(
    'seal-validity',
    ALL[5]![1],
    ALL[5]![2],
    inValidity ? 'passed' : 'failed',
    ...(inValidity ? [] : [`签章时间 ${p.time.toISOString()} 不在印章有效期内 / outside the seal's validity`]),
  );

  // 6. signer certificate validity at signing time and usage (from the certificate itself) …
  const signerOk =
    !!signerCert &&
    signerCert.notBefore <= p.time &&
    p.time <= signerCert.notAfter &&
    signerCert.keyUsage.includes('digitalSignature');
  if (!signerCert) add('signer-certificate', ALL[6]![1], ALL[6]![2], 'failed', '无法解析 / unreadable');
  else
    add(
      'signer-certificate',
      ALL[6]![1],
      ALL[6]![2],
      signerOk ? 'passed' : 'failed',
      ...(signerOk ? [] : ['签章时证书无效或用途不符 / not valid at signing time or wrong usage']),
    );
  // … and its chain to a trusted root at signing time: a separate step, so "no roots" shows as skipped, never passed.
  if (!signerCert) add('signer-chain', ALL[7]![1], ALL[7]![2], 'skipped', '证书无法解析 / certificate unreadable');
  else if (!opts.trustedRoots?.length)
    add('signer-chain', ALL[7]![1], ALL[7]![2], 'skipped', '未配置信任根 / no trusted roots configured');
  else {
    const c = verifyChain(p.signerCertDer, { roots: opts.trustedRoots, at: p.time, requireUsage: 'digitalSignature' });
    add(
      'signer-chain',
      ALL[7]![1],
      ALL[7]![2],
      c.ok ? 'passed' : 'failed',
      ...(c.ok ? [] : [`${c.reason} / ${c.reasonEn}`]),
    );
  }

  // 7. data hash
  if (!opts.dataHash) add('data-hash', ALL[8]![1], ALL[8]![2], 'skipped', '未提供原文 / no data given');
  else {
    const ok = equalBytes(opts.dataHash, p.dataHash);
    add(
      'data-hash',
      ALL[8]![1],
      ALL[8]![2],
      ok ? 'passed' : 'failed',
      ...(ok ? [] : [`原文摘要不一致 / hash mismatch (${bytesToHex(p.dataHash).slice(0, 16)}…)`]),
    );
  }

  const passed = (id: string) => steps.find((s) => s.id === id)?.status === 'passed';
  return {
    ok: steps.every((s) => s.status !== 'failed'),
    trusted: passed('maker-certificate') && passed('signer-chain'),
    steps,
    seal: {
      name: seal.name,
      esId: seal.esId,
      validStart: seal.validStart,
      validEnd: seal.validEnd,
      version: seal.version,
    },
    signingTime: p.time,
    ...(signerCert ? { signerSubject: signerCert.subject } : {}),
    parsed: p,
  };
}
