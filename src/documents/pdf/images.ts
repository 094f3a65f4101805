import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { sm3Hex } from '../../crypto/sm3.js';
import { pngStreamInfo } from '../png.js';
import type { PdfFile } from './file.js';

/**
 * PNG → PDF image XObject. Two ways, both without per-document decoding:
 * - PNGs a PDF can carry as they are (grey, RGB or indexed, no alpha, not interlaced — our QR codes, png.ts): the
 *   compressed image data goes into the stream unchanged with FlateDecode and the PNG predictor (§7.4.4.4), so a
 *   QR code costs a chunk scan instead of inflate + deinterleave + deflate.
 * - Anything else (the seal picture has alpha): decoded once into deflated RGB and alpha (SMask) planes and cached —
 *   the seal and the registration mark are the same picture on thousands of certificates (pdf-lib's embedPng, used
 *   before the direct writer, decoded and re-deflated it on every call: 41 ms for the 600 px seal picture).
 */
interface Prepared {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  /** Deflated alpha plane (SMask), absent when the picture is fully opaque. */
  readonly alpha?: Uint8Array;
}

const MAX_CACHED = 64;
const cache = new Map<string, Prepared>();
/** The same bytes object again (one seal per worker, many certificates) skips even the hash. */
const byIdentity = new WeakMap<Uint8Array, Prepared>();

function prepare(png: Uint8Array): Prepared {
  const same = byIdentity.get(png);
  if (same) return same;
  const key = sm3Hex(png);
  const hit = cache.get(key);
  if (hit) {
    byIdentity.set(png, hit);
    return hit;
  }
  const img = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  const n = img.width * img.height;
  const rgb = new Uint8Array(n * 3);
  const alpha = new Uint8Array(n);
  let opaque = true;
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = img.data[i * 4] ?? 0;
    rgb[i * 3 + 1] = img.data[i * 4 + 1] ?? 0;
    rgb[i * 3 + 2] = img.data[i * 4 + 2] ?? 0;
    const a = img.data[i * 4 + 3] ?? 255;
    alpha[i] = a;
    if (a !== 255) opaque = false;
  }
  const prepared: Prepared = {
    width: img.width,
    height: img.height,
    rgb: new Uint8Array(deflateSync(rgb, { level: 6 })),
    ...(opaque ? {} : { alpha: new Uint8Array(deflateSync(alpha, { level: 6 })) }),
  };
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value ?? '');
  cache.set(key, prepared);
  byIdentity.set(png, prepared);
  return prepared;
}

/** Writes the picture into `file` as an image XObject (and its SMask); returns the image's object number. */
export function embedPngCached(file: PdfFile, png: Uint8Array): number {
  const direct = pngStreamInfo(png);
  if (direct) {
    const colors = direct.colorType === 2 ? 3 : 1;
    const colorSpace =
      direct.colorType === 0
        ? '/DeviceGray'
        : direct.colorType === 2
          ? '/DeviceRGB'
          : `[/Indexed/DeviceRGB ${direct.palette!.length / 3 - 1}<${Buffer.from(direct.palette!).toString('hex')}>]`;
    return file.add(
      `/Type/XObject/Subtype/Image/Width ${direct.width}/Height ${direct.height}/BitsPerComponent ${direct.bitDepth}` +
        `/ColorSpace${colorSpace}/Filter/FlateDecode` +
        `/DecodeParms<</Predictor 15/Colors ${colors}/BitsPerComponent ${direct.bitDepth}/Columns ${direct.width}>>`,
      direct.idat,
    );
  }
  const p = prepare(png);
  const base = `/Type/XObject/Subtype/Image/Width ${p.width}/Height ${p.height}/BitsPerComponent 8`;
  const smask = p.alpha ? file.add(`${base}/ColorSpace/DeviceGray/Filter/FlateDecode`, p.alpha) : undefined;
  return file.add(`${base}/ColorSpace/DeviceRGB/Filter/FlateDecode${smask ? `/SMask ${smask} 0 R` : ''}`, p.rgb);
}
