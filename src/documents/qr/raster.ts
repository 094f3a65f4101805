import { PNG } from 'pngjs';
import type { QRCodeErrorCorrectionLevel } from 'qrcode';
import { rowBytes } from '../png.js';
import { encodeBytes } from './encode.js';

/**
 * QR symbols for certificates: the module matrix (encode.ts places the data; the mask is chosen here, see `qrMatrix`) and the
 * scanlines of its picture, written straight into PNG rows — 1 bit per pixel for the plain code, palette indices
 * where the registration mark adds colour — so no RGBA raster is built per certificate. `Raster` remains for the
 * mark's own picture. Deterministic: same input, same PNG bytes.
 */
export class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4).fill(255);
  }

  fillRect(x: number, y: number, w: number, h: number, rgb: readonly [number, number, number]): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + w); xx++) {
        const i = (yy * this.width + xx) * 4;
        this.data[i] = rgb[0];
        this.data[i + 1] = rgb[1];
        this.data[i + 2] = rgb[2];
        this.data[i + 3] = 255;
      }
    }
  }

  /** Blends `rgb` over the pixel with coverage `a` (0–1). */
  blend(x: number, y: number, rgb: readonly [number, number, number], a: number): void {
    if (a <= 0 || x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    for (let c = 0; c < 3; c++) {
      const old = this.data[i + c] ?? 255;
      this.data[i + c] = Math.round(old * (1 - a) + (rgb[c] ?? 0) * a);
    }
    this.data[i + 3] = 255;
  }

  toPng(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height, colorType: 6 });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    // Filter "none" + zlib 6: flat blocks, so adaptive filtering buys nothing and costs most of the time.
    return new Uint8Array(PNG.sync.write(png, { colorType: 6, deflateLevel: 6, filterType: 0 }));
  }
}

export interface QrMatrix {
  /** Modules per side (without quiet zone). */
  readonly size: number;
  readonly version: number;
  /** Row-major, 1 = dark. */
  readonly modules: Uint8Array;
  isDark(row: number, col: number): boolean;
}

// ---- mask selection (ISO/IEC 18004 §7.8) ----
// qrcode's own selection (lib/core/mask-pattern.js getBestMask) evaluates the four penalty rules through
// BitMatrix.get for every one of the eight masks: 2.3 ms of a version-16 info QR, more than everything else on the
// QR path together. The same rules on bit rows (below) give the same scores — and so the same symbol, which tests
// check against qrcode's own scores and automatic choice — in a small fraction of the time.

const maskCache = new Map<number, readonly Uint8Array[]>();
function masksOf(size: number): readonly Uint8Array[] {
  let hit = maskCache.get(size);
  if (hit) return hit;
  const fns: ((i: number, j: number) => boolean)[] = [
    (i, j) => (i + j) % 2 === 0,
    (i) => i % 2 === 0,
    (_, j) => j % 3 === 0,
    (i, j) => (i + j) % 3 === 0,
    (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
    (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
    (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
    (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
  ];
  hit = fns.map((f) => {
    const m = new Uint8Array(size * size);
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) m[i * size + j] = f(i, j) ? 1 : 0;
    return m;
  });
  if (maskCache.size > 40) maskCache.clear();
  maskCache.set(size, hit);
  return hit;
}

const dataMaskCache = new Map<number, readonly Uint8Array[]>();
/**
 * Each mask restricted to the data modules: function patterns and format/version information are never masked, and
 * where they are depends only on the version.
 */
function dataMasksOf(version: number, size: number, reserved: Uint8Array): readonly Uint8Array[] {
  let hit = dataMaskCache.get(version);
  if (!hit) {
    hit = masksOf(size).map((m) => {
      const f = new Uint8Array(size * size);
      for (let k = 0; k < f.length; k++) f[k] = reserved[k] ? 0 : m[k]!;
      return f;
    });
    dataMaskCache.set(version, hit);
  }
  return hit;
}

const G15 = 0x537;
const G15_MASK = 0x5412;
const bchDigit = (d: number) => (d === 0 ? 0 : 32 - Math.clz32(d));
/** BCH(15,5) format information for an error correction level's 2-bit code and a mask (format-info.js). */
function formatBits(eclBit: number, mask: number): number {
  const data = (eclBit << 3) | mask;
  let d = data << 10;
  while (bchDigit(d) - bchDigit(G15) >= 0) d ^= G15 << (bchDigit(d) - bchDigit(G15));
  return ((data << 10) | d) ^ G15_MASK;
}

/** Where the 15 format bits go (both copies), as qrcode's setupFormatInfo places them: [bit, index] pairs. */
function formatPositions(size: number): [number, number][] {
  const at: [number, number][] = [];
  for (let i = 0; i < 15; i++) {
    const v = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    at.push([i, v * size + 8]);
    const h = i < 8 ? size - i - 1 : i < 9 ? 15 - i : 15 - i - 1;
    at.push([i, 8 * size + h]);
  }
  return at;
}

// ---- the four penalty rules on bit rows (ISO/IEC 18004 §7.8.3, as qrcode scores them) ----
// Each row and each column of a candidate symbol is a row of 32-bit words (module j at bit j % 32 of word j / 32), so
// one word operation looks at 32 modules: a candidate is scored in a few thousand word operations instead of a
// branch-free pass over every module for every rule (1.1 ms of a version-16 info QR before, for all eight masks).

/** Set bits of each 16-bit value. */
const POP16 = new Uint8Array(1 << 16);
for (let i = 1; i < POP16.length; i++) POP16[i] = (POP16[i >> 1] ?? 0) + (i & 1);
const pop = (x: number): number => POP16[x & 0xffff]! + POP16[x >>> 16]!;

/** Bit rows of a symbol: `words` per line, rows (row r at r × words) and columns (column c at c × words). */
interface BitLines {
  readonly words: number;
  readonly rows: Int32Array;
  readonly cols: Int32Array;
}

function bitLines(modules: Uint8Array, size: number): BitLines {
  const words = (size + 31) >> 5;
  const rows = new Int32Array(size * words);
  const cols = new Int32Array(size * words);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (!modules[r * size + c]) continue;
      rows[r * words + (c >> 5)]! |= 1 << (c & 31);
      cols[c * words + (r >> 5)]! |= 1 << (r & 31);
    }
  }
  return { words, rows, cols };
}

// linePenalty's results: two numbers per line of every candidate, kept here rather than in an object per call
let lineN1 = 0;
let lineN3 = 0;

/**
 * N1 (runs of ≥ 5 alike: 3 + 1 per module beyond 5) and N3 (1011101 with four light modules on either side, within
 * the line) of one line. With s_k the line shifted by k (bit j holds module j − k): E marks modules that end five
 * alike, so a run of L ≥ 5 holds L − 4 of them, one of which starts the run (E and not E one module before):
 * N1 = |E| + 2 × starts. N3 compares the eleven modules ending at j with each pattern.
 */
function linePenalty(a: Int32Array, o: number, words: number, lastMask: number): void {
  let n1 = 0;
  let n3 = 0;
  for (let w = 0; w < words; w++) {
    const x = a[o + w]!;
    const p = w > 0 ? a[o + w - 1]! : 0;
    const s1 = (x << 1) | (p >>> 31);
    const s2 = (x << 2) | (p >>> 30);
    const s3 = (x << 3) | (p >>> 29);
    const s4 = (x << 4) | (p >>> 28);
    const s5 = (x << 5) | (p >>> 27);
    const s6 = (x << 6) | (p >>> 26);
    const s7 = (x << 7) | (p >>> 25);
    const s8 = (x << 8) | (p >>> 24);
    const s9 = (x << 9) | (p >>> 23);
    const s10 = (x << 10) | (p >>> 22);
    const valid = w === words - 1 ? lastMask : -1;
    // modules before the first full window do not count: j ≥ 4 (E), j ≥ 5 (E one before), j ≥ 10 (N3)
    const from4 = w === 0 ? ~0xf : -1;
    const from5 = w === 0 ? ~0x1f : -1;
    const from10 = w === 0 ? ~0x3ff : -1;
    const e12 = ~(s1 ^ s2);
    const e23 = ~(s2 ^ s3);
    const e34 = ~(s3 ^ s4);
    const e = ~(x ^ s1) & e12 & e23 & e34 & valid & from4;
    const before = e12 & e23 & e34 & ~(s4 ^ s5) & valid & from5;
    n1 += pop(e) + 2 * pop(e & ~before);
    const middle = s6 & ~s5 & s4 & valid & from10; // the 1 0 1 both patterns have at modules j − 6 … j − 4
    n3 += pop(middle & s10 & ~s9 & s8 & s7 & ~s3 & ~s2 & ~s1 & ~x); // 1011101 0000
    n3 += pop(middle & ~s10 & ~s9 & ~s8 & ~s7 & s3 & s2 & ~s1 & x); // 0000 1011101
  }
  lineN1 = n1;
  lineN3 = n3;
}

function bitPenalty(l: BitLines, size: number): number {
  const { words, rows, cols } = l;
  const rest = size - 32 * (words - 1);
  const lastMask = rest === 32 ? -1 : (1 << rest) - 1;
  let n1 = 0;
  let n3 = 0;
  let dark = 0;
  for (let i = 0; i < size; i++) {
    linePenalty(rows, i * words, words, lastMask);
    n1 += lineN1;
    n3 += lineN3;
    linePenalty(cols, i * words, words, lastMask);
    n1 += lineN1;
    n3 += lineN3;
    for (let w = 0; w < words; w++) dark += pop(rows[i * words + w]! & (w === words - 1 ? lastMask : -1));
  }
  // N2: 2×2 blocks alike, at columns j − 1 and j of rows i and i + 1
  let n2 = 0;
  for (let i = 0; i < size - 1; i++) {
    const o = i * words;
    let vPrev = 0;
    let aPrev = 0;
    for (let w = 0; w < words; w++) {
      const a = rows[o + w]!;
      const v = ~(a ^ rows[o + words + w]!);
      const valid = w === words - 1 ? lastMask : -1;
      const from1 = w === 0 ? ~1 : -1;
      const vs = (v << 1) | (vPrev >>> 31);
      const as = (a << 1) | (aPrev >>> 31);
      n2 += pop(v & vs & ~(a ^ as) & valid & from1);
      vPrev = v;
      aPrev = a;
    }
  }
  const n4 = Math.abs(Math.ceil((dark * 100) / (size * size) / 5) - 10);
  return n1 + n2 * 3 + n3 * 40 + n4 * 10;
}

const bitMaskCache = new Map<number, readonly BitLines[]>();
function bitMasksOf(version: number, size: number, free: readonly Uint8Array[]): readonly BitLines[] {
  let hit = bitMaskCache.get(version);
  if (!hit) {
    hit = free.map((m) => bitLines(m, size));
    bitMaskCache.set(version, hit);
  }
  return hit;
}

/** The eight candidates' penalty scores (ISO/IEC 18004 §7.8.3) for `text` at `level`, mask 0 first. */
export function maskScores(text: string, level: QRCodeErrorCorrectionLevel): number[] {
  return symbol(text, level).scores;
}

function symbol(text: string, level: QRCodeErrorCorrectionLevel) {
  // Byte mode over ASCII only: both payloads are ASCII (URL / base64url), so no reader guesses a charset.
  const { layout, modules: raw, eclBit } = encodeBytes(new TextEncoder().encode(text), level);
  const { size, version } = layout;
  const n = size * size;
  const free = dataMasksOf(version, size, layout.reserved);
  const positions = formatPositions(size);
  // Scoring on bit lines: raw ^ mask, then the format bits of that mask and the dark module (never masked).
  const rawBits = bitLines(raw, size);
  const maskBits = bitMasksOf(version, size, free);
  const { words } = rawBits;
  const cand: BitLines = {
    words,
    rows: new Int32Array(rawBits.rows.length),
    cols: new Int32Array(rawBits.cols.length),
  };
  const setBit = (r: number, c: number, on: boolean) => {
    const ri = r * words + (c >> 5);
    const ci = c * words + (r >> 5);
    if (on) {
      cand.rows[ri]! |= 1 << (c & 31);
      cand.cols[ci]! |= 1 << (r & 31);
    } else {
      cand.rows[ri]! &= ~(1 << (c & 31));
      cand.cols[ci]! &= ~(1 << (r & 31));
    }
  };
  const scores: number[] = [];
  for (let p = 0; p < 8; p++) {
    const m = maskBits[p]!;
    for (let k = 0; k < cand.rows.length; k++) {
      cand.rows[k] = rawBits.rows[k]! ^ m.rows[k]!;
      cand.cols[k] = rawBits.cols[k]! ^ m.cols[k]!;
    }
    const bits = formatBits(eclBit, p);
    for (const [i, k] of positions) setBit((k / size) | 0, k % size, ((bits >> i) & 1) === 1);
    setBit(size - 8, 8, true); // the fixed dark module
    scores.push(bitPenalty(cand, size));
  }
  return { version, size, n, raw, free, positions, eclBit, scores };
}

export function qrMatrix(text: string, level: QRCodeErrorCorrectionLevel): QrMatrix {
  const { version, size, n, raw, free, positions, eclBit, scores } = symbol(text, level);
  let best = 0;
  for (let p = 1; p < 8; p++) if (scores[p]! < scores[best]!) best = p; // the first lowest, as qrcode picks
  const modules = new Uint8Array(n);
  const mp = free[best]!;
  for (let k = 0; k < n; k++) modules[k] = raw[k]! ^ mp[k]!;
  const bits = formatBits(eclBit, best);
  for (const [i, k] of positions) modules[k] = (bits >> i) & 1;
  modules[(size - 8) * size + 8] = 1; // the fixed dark module
  return { size, version, modules, isDark: (r, c) => modules[r * size + c] === 1 };
}

/** ISO/IEC 18004 asks for a 4-module quiet zone; readers (and zbarimg) fail more often without it. */
export const QUIET_ZONE = 4;

/**
 * Pixels per module so that the symbol fills about `sizeMm` at `dpi`: an integer (at least 4), so modules never
 * blur. The picture may be slightly larger than asked; the page places it in its slot.
 */
export function qrScale(m: QrMatrix, sizeMm: number, dpi: number): { scale: number; widthPx: number } {
  const total = m.size + 2 * QUIET_ZONE;
  const scale = Math.max(4, Math.ceil(((sizeMm / 25.4) * dpi) / total));
  return { scale, widthPx: total * scale };
}

/**
 * PNG scanlines of the symbol in 1-bit grey: 0 = black module, 1 = white. Each module row is `scale` equal
 * scanlines: the first is written with filter byte 0 (unless it equals the module row above), the others as filter 2
 * (Up) with all-zero data — what png.ts's repeated-row filtering would make of them, without comparing every
 * scanline with the one above.
 */
export function qrGrayRows(m: QrMatrix, scale: number): Uint8Array {
  const width = (m.size + 2 * QUIET_ZONE) * scale;
  const stride = rowBytes('gray1', width) + 1;
  const rows = new Uint8Array(stride * width);
  let line: Uint8Array = new Uint8Array(stride);
  let above: Uint8Array | undefined;
  for (let y = 0; y < width; y += scale) {
    const r = y / scale - QUIET_ZONE;
    line.fill(0xff);
    line[0] = 0;
    if (r >= 0 && r < m.size) {
      for (let c = 0; c < m.size; c++) {
        if (m.modules[r * m.size + c] !== 1) continue;
        const x0 = (c + QUIET_ZONE) * scale;
        for (let x = x0; x < x0 + scale; x++) line[1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
      }
    }
    // trailing bits of the last byte stay 1 (white), as PNG ignores them
    let same = above !== undefined;
    for (let i = 1; same && i < stride; i++) same = line[i] === above![i];
    if (same) rows[y * stride] = 2;
    else rows.set(line, y * stride);
    for (let k = 1; k < scale; k++) rows[(y + k) * stride] = 2;
    const spare = above ?? new Uint8Array(stride);
    above = line;
    line = spare;
  }
  return rows;
}

/** PNG scanlines of the symbol as 8-bit palette indices: 0 = white, 1 = black. */
export function qrIndexedRows(m: QrMatrix, scale: number): Uint8Array {
  const width = (m.size + 2 * QUIET_ZONE) * scale;
  const stride = width + 1;
  const rows = new Uint8Array(stride * width);
  const line = new Uint8Array(stride);
  for (let y = 0; y < width; y += scale) {
    const r = y / scale - QUIET_ZONE;
    line.fill(0);
    if (r >= 0 && r < m.size) {
      for (let c = 0; c < m.size; c++) {
        if (m.modules[r * m.size + c] === 1)
          line.fill(1, 1 + (c + QUIET_ZONE) * scale, 1 + (c + QUIET_ZONE + 1) * scale);
      }
    }
    for (let k = 0; k < scale; k++) rows.set(line, (y + k) * stride);
  }
  return rows;
}
