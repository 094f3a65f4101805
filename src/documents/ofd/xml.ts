/** XML text escaping for OFD parts (attribute and element content); control characters are refused. */
export function esc(s: string): string {
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    // XML 1.0 forbids C0 controls other than tab, LF and CR
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) throw new Error('control character in XML text');
  }
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export const NS = 'http://www.ofdspec.org/2016';
export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/** Numbers in OFD are millimetres, at most three decimals (decimal.ts). */
export { decimal3 as n } from '../decimal.js';

/** UTF-8 bytes of an XML part (native, where fflate's strToU8 encodes in JavaScript). */
export function utf8(s: string): Uint8Array {
  const b = Buffer.from(s, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
