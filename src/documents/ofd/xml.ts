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

/** Numbers in OFD are millimetres; three decimals is well below a printer dot. */
export function n(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  if (Number.isInteger(r)) return r === 0 ? '0' : String(r);
  // A page repeats the same few hundred coordinates and sizes; formatting a fraction costs more than a lookup.
  let s = formatted.get(r);
  if (s === undefined) {
    s = String(r);
    if (formatted.size >= FORMATTED) formatted.clear();
    formatted.set(r, s);
  }
  return s;
}
const formatted = new Map<number, string>();
const FORMATTED = 8192;

/** UTF-8 bytes of an XML part (native, where fflate's strToU8 encodes in JavaScript). */
export function utf8(s: string): Uint8Array {
  const b = Buffer.from(s, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
