import { deflateZlib } from '../deflate.js';
import { num, type PdfFile, pdfName } from './file.js';
import { parseTrueType, type TrueTypeInfo } from './truetype.js';

/**
 * A TrueType subset embedded as a composite font (PDF 32000 §9.7): Type0 → CIDFontType2 with Identity-H encoding and
 * CIDToGIDMap Identity, so a CID *is* the subset's glyph id and text is written as 2-byte glyph ids. The W array comes
 * from the subset's hmtx (the same advances the layout measured with), and a ToUnicode CMap maps every glyph back to
 * its character, so pdftotext and readers' search find the Chinese text. Written as objects of a PdfFile (file.ts).
 */
export interface EmbeddedCidFont {
  /** Object number of the Type0 font. */
  readonly ref: number;
  /** Code points with a glyph in this face. */
  has(cp: number): boolean;
  /** The 4-hex-digit glyph id for a covered code point. */
  hex(cp: number): string;
  /** Advance of a covered code point, thousandths of an em (text space units). */
  width(cp: number): number;
}

const FLAG_SYMBOLIC = 4; // a CJK face's glyphs are outside the standard Latin set (§9.8.2)

const utf16Hex = (cp: number): string => {
  if (cp < 0x10000) return cp.toString(16).padStart(4, '0');
  const v = cp - 0x10000;
  return (0xd800 + (v >> 10)).toString(16) + (0xdc00 + (v & 0x3ff)).toString(16);
};

function toUnicodeCmap(byGid: ReadonlyMap<number, number>): string {
  const entries = [...byGid].sort((a, b) => a[0] - b[0]);
  let body = '';
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    body += `${chunk.length} beginbfchar\n`;
    for (const [gid, cp] of chunk) body += `<${gid.toString(16).padStart(4, '0')}> <${utf16Hex(cp)}>\n`;
    body += 'endbfchar\n';
  }
  return (
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
    '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
    '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n' +
    body +
    'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n'
  );
}

/** Six upper-case letters naming a subset (§9.9.2), distinct per font within one PDF. */
function subsetTag(index: number): string {
  let s = '';
  let v = index;
  for (let i = 0; i < 6; i++) {
    s = String.fromCharCode(65 + (v % 26)) + s;
    v = Math.floor(v / 26);
  }
  return s;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** What embedding needs from a subset, independent of the PDF it goes into. */
interface FontData {
  readonly info: TrueTypeInfo;
  readonly k: number;
  readonly widths: readonly number[];
  readonly dw: number;
  /** The W array, written out. */
  readonly w: string;
  /** The deflated ToUnicode CMap. */
  readonly toUnicode: Uint8Array;
  readonly hexes: ReadonlyMap<number, string>;
}

/**
 * By subset object: a layout's common subset (fonts.ts) is the same bytes object in every certificate, so its
 * parse, W array and deflated ToUnicode CMap are made once; a per-document subset is dropped with its document.
 */
const prepared = new WeakMap<Uint8Array, FontData>();

function fontData(ttf: Uint8Array): FontData {
  const hit = prepared.get(ttf);
  if (hit) return hit;
  const info = parseTrueType(ttf);
  const k = 1000 / info.unitsPerEm;
  const byGid = new Map<number, number>();
  for (const [cp, gid] of info.cmap) if (!byGid.has(gid)) byGid.set(gid, cp);
  const widths: number[] = [];
  for (let g = 0; g < info.numGlyphs; g++) widths.push(round3((info.advances[g] ?? 0) * k));

  // Stored, not deflated: a glyf subset shrinks by only a third and deflating it cost more than the rest of the
  // font's embedding (the OFD stores the same subsets uncompressed for the same reason).
  // The most common advance (a CJK face's full width) as DW; W lists only the glyphs that differ, as runs of
  // consecutive glyph ids — a few dozen numbers instead of one per glyph.
  const counts = new Map<number, number>();
  for (const v of widths) counts.set(v, (counts.get(v) ?? 0) + 1);
  let dw = 1000;
  let most = -1;
  for (const [v, c] of counts)
    if (c > most) {
      most = c;
      dw = v;
    }
  let w = '';
  for (let g = 0; g < widths.length; g++) {
    if (widths[g] === dw) continue;
    const run: number[] = [];
    const first = g;
    while (g < widths.length && widths[g] !== dw) run.push(widths[g++]!);
    w += `${first}[${run.map(num).join(' ')}]`;
  }
  const hexes = new Map<number, string>();
  for (const [cp, gid] of info.cmap) hexes.set(cp, gid.toString(16).padStart(4, '0'));
  const toUnicode = deflateZlib(new TextEncoder().encode(toUnicodeCmap(byGid)), 6);
  const data: FontData = { info, k, widths, dw, w, toUnicode, hexes };
  prepared.set(ttf, data);
  return data;
}

/** Writes the font's five objects (font file, descriptor, CIDFont, ToUnicode, Type0) into `file`. */
export function embedCidFont(file: PdfFile, ttf: Uint8Array, index: number): EmbeddedCidFont {
  const { info, k, widths, dw, w, toUnicode, hexes } = fontData(ttf);
  const name = pdfName(`${subsetTag(index)}+${info.postScriptName ?? `Subset${index}`}`);
  const fontFile = file.add(`/Length1 ${ttf.length}`, ttf);
  const bbox = info.bbox.map((v) => Math.round(v * k)).join(' ');
  const descriptor = file.add(
    `/Type/FontDescriptor/FontName${name}/Flags ${FLAG_SYMBOLIC}/FontBBox[${bbox}]/ItalicAngle ${num(info.italicAngle)}` +
      `/Ascent ${Math.round(info.ascent * k)}/Descent ${Math.round(info.descent * k)}/CapHeight ${Math.round(info.capHeight * k)}` +
      `/StemV 80/FontFile2 ${fontFile} 0 R`,
  );
  const cidFont = file.add(
    `/Type/Font/Subtype/CIDFontType2/BaseFont${name}/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>` +
      `/FontDescriptor ${descriptor} 0 R/DW ${num(dw)}/W[${w}]/CIDToGIDMap/Identity`,
  );
  const cmap = file.add('/Filter/FlateDecode', toUnicode);
  const ref = file.add(
    `/Type/Font/Subtype/Type0/BaseFont${name}/Encoding/Identity-H/DescendantFonts[${cidFont} 0 R]/ToUnicode ${cmap} 0 R`,
  );
  return {
    ref,
    has: (cp) => hexes.has(cp),
    hex: (cp) => hexes.get(cp) ?? '0000',
    width: (cp) => widths[info.cmap.get(cp) ?? 0] ?? 0,
  };
}
