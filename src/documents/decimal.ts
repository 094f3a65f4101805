/**
 * Numbers in page descriptions (OFD millimetres, PDF points): at most three decimals — a thousandth of either is
 * far below a printer dot — and never "-0". A page repeats the same few hundred coordinates and sizes, and
 * formatting a fraction costs more than a lookup, so fractions are kept once formatted.
 */
export function decimal3(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  if (Number.isInteger(r)) return r === 0 ? '0' : String(r);
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
