import { createRequire } from 'node:module';
import QRCode, { type QRCodeErrorCorrectionLevel } from 'qrcode';

/**
 * The unmasked QR symbol of a byte-mode payload (ISO/IEC 18004 §7.4–7.7): data codewords, Reed–Solomon error
 * correction, interleaving and placement. qrcode does the same per call with a bit-at-a-time buffer and a
 * Reed–Solomon generator rebuilt and divided with array copies on every block — 0.6 ms of a certificate's two QR
 * codes. Here the generator polynomials, each version's function patterns (taken once from a symbol qrcode made)
 * and its placement order are made once, and a payload costs table lookups. The capacity tables are qrcode's own
 * (ISO/IEC 18004 Table 9), and a test checks every symbol against qrcode's for all versions and levels.
 */
interface QrTables {
  getBlocksCount(version: number, level: unknown): number;
  getTotalCodewordsCount(version: number, level: unknown): number;
}
interface QrUtils {
  getSymbolTotalCodewords(version: number): number;
}
// qrcode 1.5 has no "exports" map: its table modules are plain CommonJS files (no type declarations).
const require = createRequire(import.meta.url);
const ecc = require('qrcode/lib/core/error-correction-code.js') as QrTables;
const utils = require('qrcode/lib/core/utils.js') as QrUtils;
const levels = require('qrcode/lib/core/error-correction-level.js') as Record<
  QRCodeErrorCorrectionLevel,
  { readonly bit: number }
>;

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D)
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

const generators = new Map<number, Uint8Array>();
/** Coefficients (highest first, leading 1 dropped) of Π (x − α^i), i < degree, as logs. */
function generatorLogs(degree: number): Uint8Array {
  let g = generators.get(degree);
  if (!g) {
    let poly = new Uint8Array([1]);
    for (let i = 0; i < degree; i++) {
      const next = new Uint8Array(poly.length + 1);
      for (let j = 0; j < poly.length; j++) {
        next[j]! ^= poly[j]!;
        if (poly[j]) next[j + 1]! ^= EXP[LOG[poly[j]!]! + i]!;
      }
      poly = next;
    }
    g = new Uint8Array(degree);
    for (let j = 0; j < degree; j++) g[j] = LOG[poly[j + 1]!]!; // no coefficient of Π (x − α^i) is zero
    generators.set(degree, g);
  }
  return g;
}

/** The remainder of data · x^ec divided by the generator: the block's error correction codewords. */
function reedSolomon(data: Uint8Array, ec: number): Uint8Array {
  const g = generatorLogs(ec);
  const r = new Uint8Array(ec);
  for (let i = 0; i < data.length; i++) {
    const f = data[i]! ^ r[0]!;
    r.copyWithin(0, 1);
    r[ec - 1] = 0;
    if (f) {
      const lf = LOG[f]!;
      for (let j = 0; j < ec; j++) r[j]! ^= EXP[lf + g[j]!]!;
    }
  }
  return r;
}

export interface QrLayout {
  readonly version: number;
  readonly size: number;
  /** 1 where a module is a function pattern or format/version information (never masked). */
  readonly reserved: Uint8Array;
  /** The function patterns and version information; format information is left to the caller. */
  readonly base: Uint8Array;
  /** The data modules in placement order (§7.7.3: two-module columns, upwards and downwards, right to left). */
  readonly order: Int32Array;
}

const layouts = new Map<number, QrLayout>();
function layoutOf(version: number): QrLayout {
  let l = layouts.get(version);
  if (!l) {
    const { modules } = QRCode.create([{ data: new Uint8Array([0]), mode: 'byte' }], {
      version,
      errorCorrectionLevel: 'L',
      maskPattern: 0,
    });
    const { size, data, reservedBit } = modules;
    const reserved = new Uint8Array(reservedBit);
    const base = new Uint8Array(size * size);
    for (let k = 0; k < base.length; k++) base[k] = reserved[k] ? data[k]! : 0;
    const order: number[] = [];
    let up = true;
    for (let col = size - 1; col > 0; col -= 2) {
      if (col === 6) col--; // the vertical timing pattern
      for (let i = 0; i < size; i++) {
        const row = up ? size - 1 - i : i;
        for (const c of [col, col - 1]) if (!reserved[row * size + c]) order.push(row * size + c);
      }
      up = !up;
    }
    l = { version, size, reserved, base, order: Int32Array.from(order) };
    layouts.set(version, l);
  }
  return l;
}

/** Smallest version (1–40) whose data capacity holds `length` bytes in byte mode at `level`, as qrcode chooses. */
function versionFor(length: number, level: QRCodeErrorCorrectionLevel): number {
  for (let v = 1; v <= 40; v++) {
    const dataBits = (utils.getSymbolTotalCodewords(v) - ecc.getTotalCodewordsCount(v, levels[level])) * 8;
    if (4 + (v < 10 ? 8 : 16) + 8 * length <= dataBits) return v;
  }
  throw new Error(`QR: ${length} bytes do not fit a version 40 symbol at level ${level}`);
}

/** The unmasked symbol: function patterns, version information, and the data and error correction bits placed. */
export function encodeBytes(
  bytes: Uint8Array,
  level: QRCodeErrorCorrectionLevel,
): { readonly layout: QrLayout; readonly modules: Uint8Array; readonly eclBit: number } {
  const version = versionFor(bytes.length, level);
  const ecl = levels[level];
  const total = utils.getSymbolTotalCodewords(version);
  const ecTotal = ecc.getTotalCodewordsCount(version, ecl);
  const dataTotal = total - ecTotal;
  // §7.4: mode 0100, character count (8 bits to version 9, 16 after), the bytes, terminator, pad codewords
  const data = new Uint8Array(dataTotal);
  const cci = version < 10 ? 8 : 16;
  let acc = 0b0100;
  let bits = 4;
  let o = 0;
  const put = (value: number, n: number) => {
    acc = (acc << n) | value;
    bits += n;
    while (bits >= 8) {
      bits -= 8;
      data[o++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  };
  put(bytes.length, cci);
  for (const b of bytes) put(b, 8);
  const used = o * 8 + bits;
  if (used + 4 <= dataTotal * 8) put(0, 4);
  if (bits > 0) put(0, 8 - bits);
  for (let i = 0; o < dataTotal; i++) data[o++] = i % 2 ? 0x11 : 0xec;

  // §7.5–7.6: blocks (the second group one data codeword longer), Reed–Solomon per block, interleaved
  const blocks = ecc.getBlocksCount(version, ecl);
  const inGroup2 = total % blocks;
  const inGroup1 = blocks - inGroup2;
  const dataPer1 = Math.floor(dataTotal / blocks);
  const ec = Math.floor(total / blocks) - dataPer1;
  const dc: Uint8Array[] = [];
  const ecw: Uint8Array[] = [];
  for (let b = 0, at = 0; b < blocks; b++) {
    const len = b < inGroup1 ? dataPer1 : dataPer1 + 1;
    const block = data.subarray(at, at + len);
    dc.push(block);
    ecw.push(reedSolomon(block, ec));
    at += len;
  }
  const codewords = new Uint8Array(total);
  let k = 0;
  for (let i = 0; i <= dataPer1; i++) for (const block of dc) if (i < block.length) codewords[k++] = block[i]!;
  for (let i = 0; i < ec; i++) for (const block of ecw) codewords[k++] = block[i]!;

  // §7.7.3: bits in placement order; remainder modules light
  const layout = layoutOf(version);
  const modules = new Uint8Array(layout.base);
  const { order } = layout;
  const n = Math.min(order.length, total * 8);
  for (let i = 0; i < n; i++) modules[order[i]!] = (codewords[i >> 3]! >>> (7 - (i & 7))) & 1;
  return { layout, modules, eclBit: ecl.bit };
}
