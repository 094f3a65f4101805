import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from '@peculiar/asn1-x509';
import { bytesToHex } from './bytes.js';
import { derToPem, OID_SM3_WITH_SM2, pemToDer, Sm2PublicKey, type Sm2Signer } from './sm2.js';
import { sm3Hex } from './sm3.js';

/**
 * SM2 X.509 certificates (SM3withSM2, OID 1.2.156.10197.1.501; GM/T 0015): build, parse and verify chains, on the
 * @peculiar/asn1-x509 schemas. Signatures over the TBSCertificate use the default SM2 ID, as GM/T 0015 and OpenSSL do.
 */
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_OU = '2.5.4.11';
const OID_C = '2.5.4.6';

export type CertUsage = 'ca' | 'seal-maker' | 'signer' | 'node';

export interface SubjectInfo {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly country?: string;
}

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly serialHex: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectCommonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: Sm2PublicKey;
  readonly signatureAlgorithm: string;
  readonly isCa: boolean;
  readonly keyUsage: readonly string[];
  /** DER of the TBSCertificate and the signature, for chain verification. */
  readonly tbsDer: Uint8Array;
  readonly signature: Uint8Array;
}

/** An X.509 Name in the order C, O, OU, CN (UTF8String values, as GM/T 0015 certificates carry Chinese names). */
export function encodeName(s: SubjectInfo): Name {
  const rdn = (type: string, v: string) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: v }) })]);
  const items: RelativeDistinguishedName[] = [];
  items.push(rdn(OID_C, s.country ?? 'CN'));
  if (s.organization) items.push(rdn(OID_O, s.organization));
  if (s.organizationalUnit) items.push(rdn(OID_OU, s.organizationalUnit));
  items.push(rdn(OID_CN, s.commonName));
  return new Name(items);
}

function nameToString(n: Name): string {
  const label: Record<string, string> = { [OID_CN]: 'CN', [OID_O]: 'O', [OID_OU]: 'OU', [OID_C]: 'C' };
  return n.map((rdn) => rdn.map((a) => `${label[a.type] ?? a.type}=${a.value.toString()}`).join('+')).join(', ');
}

const USAGE_FLAGS: Record<CertUsage, number> = {
  ca: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
  'seal-maker': KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  signer: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  node: KeyUsageFlags.digitalSignature,
};

export interface IssueOptions {
  readonly subject: SubjectInfo;
  readonly subjectKey: Sm2PublicKey;
  readonly usage: CertUsage;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The issuer's certificate; absent for a self-signed root. */
  readonly issuerCertDer?: Uint8Array;
  readonly issuerSigner: Sm2Signer;
}

export async function issueCertificate(o: IssueOptions): Promise<Uint8Array> {
  const issuerName = o.issuerCertDer
    ? AsnConvert.parse(o.issuerCertDer, Certificate).tbsCertificate.subject
    : encodeName(o.subject);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive INTEGER
  const sigAlg = new AlgorithmIdentifier({ algorithm: OID_SM3_WITH_SM2 });
  const spki = AsnConvert.parse(o.subjectKey.toSpkiDer(), SubjectPublicKeyInfo);
  const extensions = new Extensions([
    new Extension({
      extnID: id_ce_basicConstraints,
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: o.usage === 'ca' }))),
    }),
    new Extension({
      extnID: id_ce_keyUsage,
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(USAGE_FLAGS[o.usage]))),
    }),
  ]);
  const tbs = new TBSCertificate({
    version: 2, // v3
    serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + serial.byteLength),
    signature: sigAlg,
    issuer: issuerName,
    validity: new Validity({ notBefore: o.notBefore, notAfter: o.notAfter }),
    subject: encodeName(o.subject),
    subjectPublicKeyInfo: spki,
    extensions,
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await o.issuerSigner.sign(tbsDer);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: sigAlg,
    signatureValue: signature.buffer.slice(
      signature.byteOffset,
      signature.byteOffset + signature.byteLength,
    ) as ArrayBuffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** Parses PEM or DER. Throws with a clear message when it is not an SM2 certificate. */
export function parseCertificate(input: Uint8Array | string): ParsedCertificate {
  const der = typeof input === 'string' ? pemToDer(input, 'CERTIFICATE') : input;
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw new Error(`not an X.509 certificate: ${(e as Error).message}`);
  }
  const tbs = cert.tbsCertificate;
  const publicKey = Sm2PublicKey.fromSpkiDer(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)));
  let isCa = false;
  let keyUsage: string[] = [];
  for (const ext of tbs.extensions ?? []) {
    if (ext.extnID === id_ce_basicConstraints) {
      isCa = AsnConvert.parse(ext.extnValue, BasicConstraints).cA;
    } else if (ext.extnID === id_ce_keyUsage) {
      keyUsage = AsnConvert.parse(ext.extnValue, KeyUsage).toJSON();
    }
  }
  const cn = tbs.subject.flatMap((rdn) => rdn.filter((a) => a.type === OID_CN)).map((a) => a.value.toString())[0];
  return {
    der,
    serialHex: bytesToHex(new Uint8Array(tbs.serialNumber)),
    subject: nameToString(tbs.subject),
    issuer: nameToString(tbs.issuer),
    subjectCommonName: cn ?? '',
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey,
    signatureAlgorithm: cert.signatureAlgorithm.algorithm,
    isCa,
    keyUsage,
    tbsDer: new Uint8Array(AsnConvert.serialize(tbs)),
    signature: new Uint8Array(cert.signatureValue),
  };
}

export function certificateToPem(der: Uint8Array): string {
  return derToPem(der, 'CERTIFICATE');
}

/** SM3 fingerprint of the DER certificate (hex), the trust store's identity of a certificate. */
export function certificateFingerprint(der: Uint8Array): string {
  return sm3Hex(der);
}

/** Self-issued and verifying under its own key: a root. */
export function isSelfSigned(c: ParsedCertificate): boolean {
  return c.subject === c.issuer && c.publicKey.verify(c.tbsDer, c.signature);
}

/**
 * Every certificate in a file: one DER certificate, or any number of PEM `CERTIFICATE` blocks (a CA's chain file).
 * Only splits; `parseCertificate` checks each.
 */
export function parseCertificateBundle(input: Uint8Array | string): Uint8Array[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) =>
    pemToDer(m[0], 'CERTIFICATE'),
  );
  if (blocks.length) return blocks;
  if (typeof input === 'string' || input[0] !== 0x30) {
    throw new Error('既不是PEM也不是DER证书 / neither a PEM nor a DER certificate');
  }
  return [input];
}

export interface ChainCheck {
  readonly ok: boolean;
  readonly reason?: string;
  readonly reasonEn?: string;
}

/**
 * Verifies `leaf` up to one of `roots` through `intermediates`: each signature (SM3withSM2), each validity period at
 * `at`, CA flags and key usage on issuers, and the leaf's usage (digitalSignature for signers). `roots` is a set of
 * trusted certificates as a trust store holds them: the chain ends at a *self-signed* one; a trusted intermediate in
 * the set is used as an issuer on the way there (so a verifier given the whole trust store needs no chain file).
 */
export function verifyChain(
  leafDer: Uint8Array,
  opts: { roots: readonly Uint8Array[]; intermediates?: readonly Uint8Array[]; at: Date; requireUsage?: string },
): ChainCheck {
  const fail = (reason: string, reasonEn: string): ChainCheck => ({ ok: false, reason, reasonEn });
  let cert: ParsedCertificate;
  try {
    cert = parseCertificate(leafDer);
  } catch (e) {
    return fail('证书无法解析', `certificate cannot be parsed: ${(e as Error).message}`);
  }
  if (opts.requireUsage && !cert.keyUsage.includes(opts.requireUsage)) {
    return fail('证书密钥用法不符', `certificate key usage lacks ${opts.requireUsage}`);
  }
  const pool = [...(opts.intermediates ?? []), ...opts.roots].map((d) => parseCertificate(d));
  const rootSet = new Set(opts.roots.map((d) => bytesToHex(d)));
  for (let depth = 0; depth < 8; depth++) {
    if (cert.signatureAlgorithm !== OID_SM3_WITH_SM2)
      return fail('签名算法不是SM3withSM2', 'signature algorithm is not SM3withSM2');
    if (opts.at < cert.notBefore || opts.at > cert.notAfter) {
      return fail(
        `证书「${cert.subjectCommonName}」不在有效期内`,
        `certificate "${cert.subjectCommonName}" not valid at that time`,
      );
    }
    if (rootSet.has(bytesToHex(cert.der)) && cert.subject === cert.issuer) {
      return cert.publicKey.verify(cert.tbsDer, cert.signature)
        ? { ok: true }
        : fail('根证书自签名无效', 'root self-signature invalid');
    }
    const issuer = pool.find((c) => c.subject === cert.issuer && c.publicKey.verify(cert.tbsDer, cert.signature));
    if (!issuer) return fail('找不到可信的签发者或签名无效', 'no trusted issuer, or the issuer signature is invalid');
    if (!issuer.isCa || !issuer.keyUsage.includes('keyCertSign')) {
      return fail('签发者不是CA证书', 'issuer is not a CA certificate');
    }
    cert = issuer;
  }
  return fail('证书链过长', 'certificate chain too long');
}
