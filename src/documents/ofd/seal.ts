import { unzipSync } from 'fflate';
import { signSES } from '../../crypto/ses.js';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3 } from '../../crypto/sm3.js';
import { digestOf, shareDigest } from '../digests.js';
import type { SealAnchor } from '../page-model.js';
import { ofdXmlWithSignatures } from './parse.js';
import { zipPackage } from './writer.js';
import { NS, n, utf8, XML_DECL } from './xml.js';

/**
 * Seals an OFD package with a GB/T 38540 electronic seal (standards.md §7.3, the ofdrw layout):
 *   OFD.xml › DocBody › Signatures → Doc_0/Signs/Signatures.xml
 *   Doc_0/Signs/Sign_0/Seal.esl         the agency's SESeal
 *   Doc_0/Signs/Sign_0/Signature.xml    SignedInfo with an SM3 Reference for every other package file and the
 *                                        StampAnnot at 「登记机构（章）」
 *   Doc_0/Signs/Sign_0/SignedValue.dat  SES_Signature over DER(TBS_Sign), dataHash = SM3(Signature.xml)
 * Sealing is the last step: the bytes written here are exactly the bytes hashed and signed.
 */
export interface SealOfdOptions {
  readonly sealDer: Uint8Array;
  readonly signerCertDer: Uint8Array;
  readonly signer: Sm2Signer;
  readonly anchor: SealAnchor;
  readonly time: Date;
  /** Page object IDs (from the writer); read from Document.xml when absent. */
  readonly pageIds?: readonly number[];
}

export const SIGN_DIR = 'Doc_0/Signs/Sign_0';

function b64(u: Uint8Array): string {
  return Buffer.from(u).toString('base64');
}

/** `yyyy-MM-dd HH:mm:ss` in China Standard Time, as ofdrw writes SignatureDateTime. */
function cst(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}

export async function sealPackage(files: Map<string, Uint8Array>, o: SealOfdOptions): Promise<Uint8Array> {
  if (files.has(`${SIGN_DIR}/Signature.xml`)) throw new Error('the package is already sealed');
  const pageIds = o.pageIds ?? pageIdsOf(files);
  const pageRef = pageIds[o.anchor.pageIndex];
  if (pageRef === undefined) throw new Error(`seal anchor page ${o.anchor.pageIndex} does not exist`);
  const out = new Map(files);
  out.set('OFD.xml', utf8(ofdXmlWithSignatures(new TextDecoder().decode(files.get('OFD.xml')!))));
  out.set(
    'Doc_0/Signs/Signatures.xml',
    utf8(
      `${XML_DECL}<ofd:Signatures xmlns:ofd="${NS}"><ofd:MaxSignId>1</ofd:MaxSignId><ofd:Signature ID="1" Type="Seal" BaseLoc="/${SIGN_DIR}/Signature.xml"/></ofd:Signatures>`,
    ),
  );
  out.set(`${SIGN_DIR}/Seal.esl`, o.sealDer);
  shareDigest(o.sealDer); // the same seal object signs thousands of packages
  const refs = [...out.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([path, bytes]) =>
        `<ofd:Reference FileRef="/${path}"><ofd:CheckValue>${b64(digestOf(bytes))}</ofd:CheckValue></ofd:Reference>`,
    )
    .join('');
  const a = o.anchor;
  const signatureXml = utf8(
    `${XML_DECL}<ofd:Signature xmlns:ofd="${NS}"><ofd:SignedInfo><ofd:Provider ProviderName="bdcert" Company="bdcert" Version="0.1.0"/>` +
      `<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:SignatureDateTime>${cst(o.time)}</ofd:SignatureDateTime>` +
      `<ofd:References CheckMethod="1.2.156.10197.1.401">${refs}</ofd:References>` +
      `<ofd:StampAnnot ID="1" PageRef="${pageRef}" Boundary="${n(a.xMm)} ${n(a.yMm)} ${n(a.wMm)} ${n(a.hMm)}"/>` +
      `<ofd:Seal><ofd:BaseLoc>/${SIGN_DIR}/Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>` +
      `<ofd:SignedValue>/${SIGN_DIR}/SignedValue.dat</ofd:SignedValue></ofd:Signature>`,
  );
  out.set(`${SIGN_DIR}/Signature.xml`, signatureXml);
  const signedValue = await signSES({
    sealDer: o.sealDer,
    signerCertDer: o.signerCertDer,
    signer: o.signer,
    dataHash: sm3(signatureXml),
    propertyInfo: `/${SIGN_DIR}/Signature.xml`,
    time: o.time,
  });
  out.set(`${SIGN_DIR}/SignedValue.dat`, signedValue);
  return zipPackage(out);
}

export async function sealOfd(ofd: Uint8Array, o: SealOfdOptions): Promise<Uint8Array> {
  const entries = unzipSync(ofd);
  return sealPackage(new Map(Object.entries(entries)), o);
}

function pageIdsOf(files: Map<string, Uint8Array>): number[] {
  const doc = new TextDecoder().decode(files.get('Doc_0/Document.xml')!);
  return [...doc.matchAll(/<ofd:Page ID="(\d+)"/g)].map((m) => Number(m[1]));
}
