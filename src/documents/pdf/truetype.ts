/**
 * Just enough of a TrueType file for embedding it in a PDF as a CIDFontType2: metrics for the FontDescriptor, the
 * advance width of every glyph (the W array) and the character map (text → glyph ids, and back for ToUnicode).
 * The fonts read here are our own harfbuzz subsets — a few hundred glyphs — so a full parse costs microseconds,
 * where fontkit's per-document parse and layout was most of the PDF's time.
 */
export interface TrueTypeInfo {
  readonly unitsPerEm: number;
  /** xMin, yMin, xMax, yMax in font units. */
  readonly bbox: readonly [number, number, number, number];
  readonly ascent: number;
  readonly descent: number;
  readonly capHeight: number;
  readonly italicAngle: number;
  readonly numGlyphs: number;
  /** Advance width of each glyph id, font units. */
  readonly advances: Uint16Array;
  /** Unicode code point → glyph id (glyph 0 never appears). */
  readonly cmap: ReadonlyMap<number, number>;
  readonly postScriptName?: string;
}

class Reader {
  readonly v: DataView;
  constructor(readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u16(o: number): number {
    return this.v.getUint16(o);
  }
  i16(o: number): number {
    return this.v.getInt16(o);
  }
  u32(o: number): number {
    return this.v.getUint32(o);
  }
}

function bad(what: string): never {
  throw new Error(`TrueType: ${what}`);
}

export function parseTrueType(bytes: Uint8Array): TrueTypeInfo {
  const r = new Reader(bytes);
  if (bytes.length < 12) bad('file too short');
  const version = r.u32(0);
  if (version !== 0x00010000 && version !== 0x74727565) bad('not a TrueType (glyf) font');
  const tables = new Map<string, { off: number; len: number }>();
  const n = r.u16(4);
  for (let i = 0; i < n; i++) {
    const o = 12 + i * 16;
    const tag = String.fromCharCode(bytes[o]!, bytes[o + 1]!, bytes[o + 2]!, bytes[o + 3]!);
    const off = r.u32(o + 8);
    const len = r.u32(o + 12);
    if (off + len > bytes.length) bad(`table ${tag} out of range`);
    tables.set(tag, { off, len });
  }
  const t = (tag: string) => tables.get(tag) ?? bad(`no ${tag} table`);
  const head = t('head').off;
  const unitsPerEm = r.u16(head + 18);
  const bbox = [r.i16(head + 36), r.i16(head + 38), r.i16(head + 40), r.i16(head + 42)] as const;
  const hhea = t('hhea').off;
  const numberOfHMetrics = r.u16(hhea + 34);
  const numGlyphs = r.u16(t('maxp').off + 4);
  const hmtx = t('hmtx').off;
  const advances = new Uint16Array(numGlyphs);
  let last = 0;
  for (let g = 0; g < numGlyphs; g++) {
    if (g < numberOfHMetrics) last = r.u16(hmtx + g * 4);
    advances[g] = last;
  }
  let ascent = r.i16(hhea + 4);
  let descent = r.i16(hhea + 6);
  let capHeight = bbox[3];
  const os2 = tables.get('OS/2');
  if (os2 && os2.len >= 78) {
    ascent = r.i16(os2.off + 68); // sTypoAscender
    descent = r.i16(os2.off + 70);
    if (r.u16(os2.off) >= 2 && os2.len >= 90) capHeight = r.i16(os2.off + 88);
  }
  const post = tables.get('post');
  const italicAngle = post ? r.v.getInt32(post.off + 4) / 65536 : 0;
  const name = postScriptNameOf(r, tables.get('name'));
  return {
    unitsPerEm,
    bbox,
    ascent,
    descent,
    capHeight,
    italicAngle,
    numGlyphs,
    advances,
    cmap: readCmap(r, t('cmap').off),
    ...(name ? { postScriptName: name } : {}),
  };
}

/** The Unicode subtable: format 12 (full repertoire, needed for CJK Extension B) when present, else format 4. */
function readCmap(r: Reader, cmap: number): Map<number, number> {
  const n = r.u16(cmap + 2);
  let f4 = -1;
  let f12 = -1;
  for (let i = 0; i < n; i++) {
    const o = cmap + 4 + i * 8;
    const platform = r.u16(o);
    const encoding = r.u16(o + 2);
    const sub = cmap + r.u32(o + 4);
    const format = r.u16(sub);
    if (format === 12 && (platform === 3 || platform === 0)) f12 = sub;
    else if (format === 4 && ((platform === 3 && encoding === 1) || platform === 0)) f4 = sub;
  }
  const map = new Map<number, number>();
  if (f12 >= 0) {
    const groups = r.u32(f12 + 12);
    for (let i = 0; i < groups; i++) {
      const o = f12 + 16 + i * 12;
      const start = r.u32(o);
      const end = r.u32(o + 4);
      const gid = r.u32(o + 8);
      for (let c = start; c <= end; c++) if (gid + c - start) map.set(c, gid + c - start);
    }
    return map;
  }
  if (f4 < 0) bad('no Unicode cmap');
  const segX2 = r.u16(f4 + 6);
  const ends = f4 + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const ranges = deltas + segX2;
  for (let s = 0; s < segX2; s += 2) {
    const end = r.u16(ends + s);
    const start = r.u16(starts + s);
    const delta = r.i16(deltas + s);
    const rangeOffset = r.u16(ranges + s);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let gid: number;
      if (rangeOffset === 0) gid = (c + delta) & 0xffff;
      else {
        const at = ranges + s + rangeOffset + (c - start) * 2;
        gid = r.u16(at);
        if (gid) gid = (gid + delta) & 0xffff;
      }
      if (gid) map.set(c, gid);
    }
  }
  return map;
}

function postScriptNameOf(r: Reader, name: { off: number; len: number } | undefined): string | undefined {
  if (!name) return undefined;
  const count = r.u16(name.off + 2);
  const strings = name.off + r.u16(name.off + 4);
  for (let i = 0; i < count; i++) {
    const o = name.off + 6 + i * 12;
    if (r.u16(o + 6) !== 6) continue; // nameID 6: PostScript name
    const platform = r.u16(o);
    const len = r.u16(o + 8);
    const at = strings + r.u16(o + 10);
    let s = '';
    if (platform === 3 || platform === 0) for (let k = 0; k < len; k += 2) s += String.fromCharCode(r.u16(at + k));
    else for (let k = 0; k < len; k++) s += String.fromCharCode(r.b[at + k]!);
    // PDF names: keep it to the printable ASCII a PostScript name is made of anyway
    s = s.replace(/[^\x21-\x7e]|[()<>[\]{}/%#]/g, '');
    if (s) return s;
  }
  return undefined;
}
