import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension, Extensions, id_ce_keyUsage, KeyUsage, KeyUsageFlags, Name } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { derToPem, OID_SM3_WITH_SM2, pemToDer, Sm2PublicKey, type Sm2Signer } from './sm2.js';
import { encodeName, type SubjectInfo } from './x509.js';

/**
 * PKCS#10 certification requests (RFC 2986) signed SM3withSM2 (OID 1.2.156.10197.1.501, default SM2 ID as GM/T 0015
 * and OpenSSL use): what an agency sends to a licensed CA for its signer (签章人/机构) or seal-maker (制章者)
 * certificate. The key never leaves the key store or signing server: the request is signed through the `Sm2Signer`
 * port. Built with asn1js around the @peculiar/asn1-x509 Name and SubjectPublicKeyInfo encodings.
 *
 *   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name, subjectPKInfo,
 *                                           attributes [0] IMPLICIT SET OF Attribute }
 * The one attribute is extensionRequest (PKCS#9, 1.2.840.113549.1.9.14) asking for the key usage the purpose needs;
 * a CA decides what it certifies, so the imported certificate's usage is checked again on import.
 */
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

const ab = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const fromDer = (u: Uint8Array) => {
  const r = asn1js.fromBER(ab(u));
  if (r.offset === -1) throw new Error('invalid DER');
  return r.result;
};

export async function buildCsr(subject: SubjectInfo, signer: Sm2Signer): Promise<Uint8Array> {
  // Signer and seal maker alike sign (TBS_Sign, SES_SealInfo; GB/T 38540): digitalSignature + nonRepudiation.
  const usage = new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation);
  const extensions = new Extensions([
    new Extension({
      extnID: id_ce_keyUsage,
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(usage)),
    }),
  ]);
  const info = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      fromDer(new Uint8Array(AsnConvert.serialize(encodeName(subject)))),
      fromDer(signer.publicKey.toSpkiDer()),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.ObjectIdentifier({ value: OID_EXTENSION_REQUEST }),
              new asn1js.Set({ value: [fromDer(new Uint8Array(AsnConvert.serialize(extensions)))] }),
            ],
          }),
        ],
      }),
    ],
  });
  const infoDer = new Uint8Array(info.toBER());
  const signature = await signer.sign(infoDer);
  const csr = new asn1js.Sequence({
    value: [
      info,
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_SM3_WITH_SM2 })] }),
      new asn1js.BitString({ valueHex: ab(signature) }),
    ],
  });
  return new Uint8Array(csr.toBER());
}

export interface ParsedCsr {
  readonly der: Uint8Array;
  readonly subject: Name;
  readonly publicKey: Sm2PublicKey;
  readonly signatureAlgorithm: string;
  /** The request's self-signature verifies under its own public key (proof of possession). */
  readonly signatureValid: boolean;
}

/** Parses a PEM (`CERTIFICATE REQUEST`) or DER request and checks its signature. */
export function parseCsr(input: Uint8Array | string): ParsedCsr {
  const der = typeof input === 'string' ? pemToDer(input, 'CERTIFICATE REQUEST') : input;
  const top = fromDer(der);
  if (!(top instanceof asn1js.Sequence) || top.valueBlock.value.length !== 3) throw new Error('not a PKCS#10 request');
  const [info, alg, sig] = top.valueBlock.value as [asn1js.Sequence, asn1js.Sequence, asn1js.BitString];
  const fields = info.valueBlock.value;
  const infoDer = new Uint8Array(info.valueBeforeDecodeView);
  const subject = AsnConvert.parse(new Uint8Array(fields[1]!.valueBeforeDecodeView), Name);
  const publicKey = Sm2PublicKey.fromSpkiDer(new Uint8Array(fields[2]!.valueBeforeDecodeView));
  const algOid = (alg.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  const signature = new Uint8Array(sig.valueBlock.valueHexView);
  return {
    der,
    subject,
    publicKey,
    signatureAlgorithm: algOid,
    signatureValid: algOid === OID_SM3_WITH_SM2 && publicKey.verify(infoDer, signature),
  };
}

export function csrToPem(der: Uint8Array): string {
  return derToPem(der, 'CERTIFICATE REQUEST');
}
