import { randomBytes } from 'node:crypto';
import { shareDigest } from '../digests.js';
import { encodePng } from '../png.js';
import { registrationMarkOverWhite } from './mark.js';
import { QUIET_ZONE, qrGrayRows, qrIndexedRows, qrMatrix, qrScale } from './raster.js';

/**
 * 查询二维码 (query QR; Henan 附件2 requires it, Huangchuan 1.3 puts it top-left with the registration mark in the
 * centre and the verification address). It carries only `<BASE_URL>/v/<token>`: the token is random, so scanning
 * one certificate reveals nothing about another and the set of certificates cannot be enumerated.
 */

/** 18 random bytes = 144 bits (≥ 128 required), base64url without padding: exactly 24 URL-safe characters. */
export const TOKEN_BYTES = 18;
const TOKEN_RE = /^[A-Za-z0-9_-]{24}$/;

export function mintVerificationToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function isVerificationToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** `https://bdc.example.gov.cn/` + token → `https://bdc.example.gov.cn/v/<token>`; the base may carry a path prefix. */
export function verificationUrl(baseUrl: string, token: string): string {
  if (!isVerificationToken(token)) throw new Error('verification token: expected 24 base64url characters');
  const u = new URL(baseUrl);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('BASE_URL must be http(s)');
  if (u.search || u.hash) throw new Error('BASE_URL must not carry a query or fragment');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}/v/${token}`;
}

/** The token back from a scanned URL on our base, or undefined when the URL is not one of ours. */
export function tokenFromUrl(baseUrl: string, scanned: string): string | undefined {
  const prefix = verificationUrl(baseUrl, 'A'.repeat(24)).slice(0, -24);
  if (!scanned.startsWith(prefix)) return undefined;
  const t = scanned.slice(prefix.length);
  return isVerificationToken(t) ? t : undefined;
}

export interface QrImage {
  readonly png: Uint8Array;
  readonly widthPx: number;
  /** QR version (1–40) and modules per side, for tests and docs. */
  readonly version: number;
  readonly modules: number;
}

export interface QueryQrOptions {
  /** Printed size of the slot (square), millimetres; 25 mm by default. */
  readonly sizeMm?: number;
  readonly dpi?: number;
  /** Side of the centre mark as a fraction of the symbol (without quiet zone); ≤ 0.3 so H correction survives. */
  readonly markFraction?: number;
}

/** Where the registration mark sits in a query QR picture, in its pixels (square, `side` wide). */
export interface QueryQrMark {
  readonly png: Uint8Array;
  readonly xPx: number;
  readonly yPx: number;
  readonly sidePx: number;
}

/** Geometry shared by both forms of the query QR: the symbol, its scale and the centre pad under the mark. */
function queryGeometry(url: string, opts: QueryQrOptions) {
  const fraction = opts.markFraction ?? 0.24;
  if (fraction <= 0 || fraction > 0.3) throw new Error('markFraction must be in (0, 0.3]');
  const m = qrMatrix(url, 'H');
  const { scale, widthPx } = qrScale(m, opts.sizeMm ?? 25, opts.dpi ?? 300);
  // An odd number of modules so the white pad sits exactly on the centre module grid.
  let pad = Math.round(m.size * fraction);
  if (pad % 2 === 0) pad -= 1;
  const start = (m.size - pad) / 2;
  return { m, scale, widthPx, x0: (start + QUIET_ZONE) * scale, side: pad * scale };
}

/** The mark over white as palette indices (of `index`, added as met). */
function markIndices(side: number, index: Map<number, number>): Uint8Array {
  const mark = registrationMarkOverWhite(side);
  const out = new Uint8Array(side * side);
  for (let k = 0; k < out.length; k++) {
    const rgb = mark[k]!;
    let i = index.get(rgb);
    if (i === undefined) {
      i = index.size;
      index.set(rgb, i);
    }
    out[k] = i & 0xff;
  }
  return out;
}

function paletteOf(index: Map<number, number>): Uint8Array {
  const palette = new Uint8Array(index.size * 3);
  for (const [rgb, k] of index) palette.set([rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff], k * 3);
  return palette;
}

const markPngs = new Map<number, Uint8Array>();
/** The mark alone at `side` pixels, made once per size; its SM3 is remembered (the same bytes in every OFD). */
function markPng(side: number): Uint8Array {
  let png = markPngs.get(side);
  if (png) return png;
  const index = new Map<number, number>([[0xffffff, 0]]);
  const px = markIndices(side, index);
  if (index.size > 256) throw new Error('registration mark: more colours than a PNG palette holds');
  const rows = new Uint8Array((side + 1) * side);
  for (let y = 0; y < side; y++) rows.set(px.subarray(y * side, (y + 1) * side), y * (side + 1) + 1);
  png = encodePng({ kind: 'indexed8', width: side, height: side, palette: paletteOf(index), rows });
  shareDigest(png);
  if (markPngs.size > 16) markPngs.clear();
  markPngs.set(side, png);
  return png;
}

/**
 * The query QR for certificate files, in two layers: the symbol as a 1-bit picture (like the 信息二维码) and the
 * registration mark as a picture of its own, the same bytes for every certificate, placed over the centre. The page
 * shows exactly what `renderQueryQr` draws as one picture, with an eighth of the pixel data to compress per
 * certificate (1 bit per pixel instead of 8).
 */
export function renderQueryQrLayered(url: string, opts: QueryQrOptions = {}): { qr: QrImage; mark: QueryQrMark } {
  const { m, scale, widthPx, x0, side } = queryGeometry(url, opts);
  const png = encodePng({ kind: 'gray1', width: widthPx, height: widthPx, rows: qrGrayRows(m, scale) });
  return {
    qr: { png, widthPx, version: m.version, modules: m.size },
    mark: { png: markPng(side), xPx: x0, yPx: x0, sidePx: side },
  };
}

/**
 * The query QR as PNG: error correction H (recovers ~30% of codewords), the registration mark over the centre
 * covering ~6% of the symbol's area by default — well inside what H tolerates, and finder/timing patterns untouched.
 */
export function renderQueryQr(url: string, opts: QueryQrOptions = {}): QrImage {
  const { m, scale, widthPx, x0, side } = queryGeometry(url, opts);
  // 8-bit palette picture: index 0 white, 1 black, then the mark's colours (composited over the white pad).
  const rows = qrIndexedRows(m, scale);
  const stride = widthPx + 1;
  const index = new Map<number, number>([
    [0xffffff, 0],
    [0x000000, 1],
  ]);
  const mark = markIndices(side, index);
  for (let y = 0; y < side; y++) rows.set(mark.subarray(y * side, (y + 1) * side), (x0 + y) * stride + 1 + x0);
  // The mark is flat colour with anti-aliased edges: ~30 colours at any size (29 at 24 mm/300 dpi, 36 at 60 mm/1200 dpi).
  if (index.size > 256) throw new Error('registration mark: more colours than a PNG palette holds');
  const png = encodePng({ kind: 'indexed8', width: widthPx, height: widthPx, palette: paletteOf(index), rows });
  return { png, widthPx, version: m.version, modules: m.size };
}
