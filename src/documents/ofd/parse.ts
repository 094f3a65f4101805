import { XMLParser } from 'fast-xml-parser';

/** Minimal structured reading of OFD XML parts (for the sealer and the verifier). */
export const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
});

export function ofdXmlWithSignatures(ofdXml: string): string {
  if (ofdXml.includes('<ofd:Signatures>')) return ofdXml;
  return ofdXml.replace('</ofd:DocBody>', '<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody>');
}
