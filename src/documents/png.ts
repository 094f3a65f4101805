import { crc32 } from 'node:zlib';
import { deflateZlib } from './deflate.js';

/**
 * Minimal PNG writing and chunk reading for the pictures we make ourselves (QR codes, seal pictures): 1-bit grey,
 * 8-bit indexed (optionally with per-entry alpha) and 8-bit RGB, non-interlaced, every row with filter type 0. That
 * lets the PDF writer reuse an opaque PNG's compressed image data as it is (FlateDecode with the PNG predictor,
 * pdf/images.ts) instead of decoding and re-deflating it — a picture with alpha is decoded once and cached there —
 * and lets a QR code be written without an RGBA raster: the QR's 1-bit form is 1/32 of the bytes.
 */
export type PngPixels =
  | { readonly kind: 'gray1'; readonly width: number; readonly height: number; readonly rows: Uint8Array }
  | {
      readonly kind: 'indexed8';
      readonly width: number;
      readonly height: number;
      /** RGB triples, at most 256. */
      readonly palette: Uint8Array;
      /** Alpha of the first palette entries (PNG tRNS); absent: every entry is opaque. */
      readonly alpha?: Uint8Array;
      readonly rows: Uint8Array;
    }
  | { readonly kind: 'rgb8'; readonly width: number; readonly height: number; readonly rows: Uint8Array };

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bytes per row without the filter byte. */
export function rowBytes(kind: PngPixels['kind'], width: number): number {
  return kind === 'gray1' ? (width + 7) >> 3 : kind === 'indexed8' ? width : width * 3;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Rewrites every scanline that repeats the one above as filter type 2 (Up) with all-zero data, in place. A QR module
 * row is `scale` identical scanlines: zeros deflate faster than repeated matches and into less.
 */
function filterRepeatedRows(rows: Uint8Array, stride: number): void {
  // Bottom-up, so each comparison still sees the unfiltered row above.
  for (let y = rows.length / stride - 1; y >= 1; y--) {
    const o = y * stride;
    const above = o - stride;
    let same = rows[o] === 0 && rows[above] === 0;
    for (let i = 1; same && i < stride; i++) same = rows[o + i] === rows[above + i];
    if (same) {
      rows[o] = 2;
      rows.fill(0, o + 1, o + stride);
    }
  }
}

/**
 * `rows` holds each scanline prefixed with its filter byte 0 (unfiltered), so callers can build a row once and repeat
 * it; it is filtered here in place. zlib level 3 by default: on data this regular it is within 25% of level 6 in
 * size (2.6 vs 2.1 KB for a query QR) at two thirds of the time; a picture made once (a seal) can afford level 9.
 */
export function encodePng(p: PngPixels, level = 3): Uint8Array {
  const stride = rowBytes(p.kind, p.width) + 1;
  const expected = stride * p.height;
  if (p.rows.length !== expected) throw new Error(`PNG: expected ${expected} bytes of rows, got ${p.rows.length}`);
  filterRepeatedRows(p.rows, stride);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, p.width);
  v.setUint32(4, p.height);
  ihdr[8] = p.kind === 'gray1' ? 1 : 8; // bit depth
  ihdr[9] = p.kind === 'gray1' ? 0 : p.kind === 'indexed8' ? 3 : 2; // colour type
  // compression 0, filter method 0, interlace 0 (bytes 10–12 stay zero)
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (p.kind === 'indexed8') {
    if (p.palette.length % 3 !== 0 || p.palette.length > 768) throw new Error('PNG: bad palette');
    parts.push(chunk('PLTE', p.palette));
    if (p.alpha) {
      if (p.alpha.length > p.palette.length / 3) throw new Error('PNG: more alpha entries than palette entries');
      parts.push(chunk('tRNS', p.alpha));
    }
  }
  parts.push(chunk('IDAT', deflateZlib(p.rows, level)), chunk('IEND', new Uint8Array(0)));
  const total = parts.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of parts) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** What a PDF image XObject needs from a PNG it can embed without decoding. */
export interface PngStreamInfo {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 indexed. */
  readonly colorType: 0 | 2 | 3;
  readonly palette?: Uint8Array;
  /** The zlib stream of the image data (all IDAT chunks joined). */
  readonly idat: Uint8Array;
}

/**
 * Reads the chunks of a PNG whose compressed data a PDF can carry as it is: non-interlaced grey, RGB or indexed
 * without transparency (tRNS) and bit depth ≤ 8. Anything else (alpha, 16-bit, interlaced, a broken file) gives
 * undefined and the caller decodes the picture instead. CRCs are not checked: the bytes are copied, not interpreted,
 * and a reader of the PDF decodes them exactly as a reader of the PNG would.
 */
export function pngStreamInfo(png: Uint8Array): PngStreamInfo | undefined {
  if (png.length < 33) return undefined;
  for (let i = 0; i < 8; i++) if (png[i] !== SIGNATURE[i]) return undefined;
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let o = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (o + 12 <= png.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(png[o + 4]!, png[o + 5]!, png[o + 6]!, png[o + 7]!);
    const data = png.subarray(o + 8, o + 8 + len);
    if (data.length !== len) return undefined;
    if (type === 'IHDR') {
      width = v.getUint32(o + 8);
      height = v.getUint32(o + 12);
      bitDepth = png[o + 16]!;
      colorType = png[o + 17]!;
      if (png[o + 20] !== 0) return undefined; // interlaced
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') return undefined;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    o += 12 + len;
  }
  if (!width || !height || !idat.length || bitDepth > 8) return undefined;
  if (colorType !== 0 && colorType !== 2 && colorType !== 3) return undefined;
  if (colorType === 3 && !palette) return undefined;
  const joined =
    idat.length === 1
      ? idat[0]!
      : (() => {
          const out = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
          let p = 0;
          for (const c of idat) {
            out.set(c, p);
            p += c.length;
          }
          return out;
        })();
  return { width, height, bitDepth, colorType, ...(palette ? { palette } : {}), idat: joined };
}
