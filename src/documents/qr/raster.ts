import { PNG } from 'pngjs';
import QRCode, { type QRCodeErrorCorrectionLevel } from 'qrcode';
import { rowBytes } from '../png.js';

/**
 * QR symbols for certificates: the module matrix (qrcode encodes; the mask is chosen here, see `qrMatrix`) and the
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
// QR path together. The same rules on flat typed arrays give the same scores — and so the same symbol, which a test
// checks against qrcode's automatic choice — in a fraction of the time.

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

// By run length so far (up to the 177 modules of version 40): 3 when a run reaches 5, 1 for each module after.
const N1_POINTS = new Uint8Array(178).fill(1, 6);
N1_POINTS[5] = 3;
const N2_BLOCK = new Uint8Array([1, 0, 0, 0, 1]); // by dark modules in a 2×2 block: all light or all dark
const N3_PATTERN = new Uint8Array(2048); // the 11-module windows 1011101 0000 and 0000 1011101
N3_PATTERN[0x5d0] = 1;
N3_PATTERN[0x05d] = 1;

/**
 * The four penalty rules, exactly as qrcode scores them (N1 runs of ≥ 5, N2 2×2 blocks, N3 finder-like patterns,
 * N4 dark/light balance), written without data-dependent branches: QR modules are as good as random, so every
 * branch on them was a coin toss for the CPU. A run of length L ≥ 5 scores 3 + (L − 5): 3 when it reaches 5, then 1
 * per further module.
 */
function penalty(d: Uint8Array, size: number): number {
  let n1 = 0;
  let n2 = 0;
  let n3 = 0;
  let dark = 0;
  for (let a = 0; a < size; a++) {
    const row = a * size;
    let lastR = d[row]!;
    let lastC = d[a]!;
    let runR = 1;
    let runC = 1;
    let bitsR = lastR;
    let bitsC = lastC;
    dark += lastR;
    for (let b = 1; b < size; b++) {
      const r = d[row + b]!;
      const c = d[b * size + a]!;
      dark += r;
      runR = runR * (1 - (r ^ lastR)) + 1;
      runC = runC * (1 - (c ^ lastC)) + 1;
      n1 += N1_POINTS[runR]! + N1_POINTS[runC]!;
      lastR = r;
      lastC = c;
      bitsR = ((bitsR << 1) & 0x7ff) | r;
      bitsC = ((bitsC << 1) & 0x7ff) | c;
      // only full 11-module windows count (qrcode checks from the 11th module on)
      if (b >= 10) n3 += N3_PATTERN[bitsR]! + N3_PATTERN[bitsC]!;
    }
  }
  for (let i = 0; i < size - 1; i++) {
    const o = i * size;
    for (let j = 0; j < size - 1; j++) {
      const k = o + j;
      n2 += N2_BLOCK[d[k]! + d[k + 1]! + d[k + size]! + d[k + size + 1]!]!;
    }
  }
  const n4 = Math.abs(Math.ceil((dark * 100) / d.length / 5) - 10);
  return n1 + n2 * 3 + n3 * 40 + n4 * 10;
}

export function qrMatrix(text: string, level: QRCodeErrorCorrectionLevel): QrMatrix {
  // Byte mode over ASCII only: both payloads are ASCII (URL / base64url), so no reader guesses a charset.
  // Mask 0 is asked for only to get the unmasked data back cheaply; the best mask is chosen below.
  const qr = QRCode.create([{ data: new TextEncoder().encode(text), mode: 'byte' }], {
    errorCorrectionLevel: level,
    maskPattern: 0,
  });
  const { size, data, reservedBit } = qr.modules;
  const n = size * size;
  const free = dataMasksOf(qr.version, size, reservedBit);
  const raw = new Uint8Array(n);
  for (let k = 0; k < n; k++) raw[k] = data[k]! ^ free[0]![k]!;
  const positions = formatPositions(size);
  const eclBit = qr.errorCorrectionLevel.bit;
  const work = new Uint8Array(n);
  const apply = (p: number) => {
    const mp = free[p]!;
    for (let k = 0; k < n; k++) work[k] = raw[k]! ^ mp[k]!;
    const bits = formatBits(eclBit, p);
    for (const [i, k] of positions) work[k] = (bits >> i) & 1;
    work[(size - 8) * size + 8] = 1; // the fixed dark module
  };
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let p = 0; p < 8; p++) {
    apply(p);
    const score = penalty(work, size);
    if (score < bestScore) {
      bestScore = score;
      best = p;
    }
  }
  apply(best);
  const modules = work;
  return { size, version: qr.version, modules, isDark: (r, c) => modules[r * size + c] === 1 };
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

/** PNG scanlines (filter byte 0 first) of the symbol in 1-bit grey: 0 = black module, 1 = white. */
export function qrGrayRows(m: QrMatrix, scale: number): Uint8Array {
  const width = (m.size + 2 * QUIET_ZONE) * scale;
  const stride = rowBytes('gray1', width) + 1;
  const rows = new Uint8Array(stride * width);
  const line = new Uint8Array(stride);
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
    for (let k = 0; k < scale; k++) rows.set(line, (y + k) * stride);
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
