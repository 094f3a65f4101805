import { deflateSync } from 'node:zlib';
import {
  concatTransformationMatrix,
  drawObject,
  type PDFDocument,
  type PDFPage,
  PDFRawStream,
  type PDFRef,
  popGraphicsState,
  pushGraphicsState,
} from '@cantoo/pdf-lib';
import { PNG } from 'pngjs';
import { sm3Hex } from '../../crypto/sm3.js';

/**
 * PNG → PDF image XObject, prepared once per distinct picture and reused by every document. pdf-lib's own embedPng
 * decodes and re-deflates on every call (measured 41 ms for the 600 px seal picture, half of a certificate's PDF
 * time); the seal and the registration mark are the same bytes on thousands of certificates, so we keep the
 * deflated RGB and alpha planes and only wrap them in a new stream per document.
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

function prepare(png: Uint8Array): Prepared {
  const key = sm3Hex(png);
  const hit = cache.get(key);
  if (hit) return hit;
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
  return prepared;
}

/** Registers the picture as an image XObject in `pdf`; returns its reference. */
export function embedPngCached(pdf: PDFDocument, png: Uint8Array): PDFRef {
  const p = prepare(png);
  const ctx = pdf.context;
  const base = { Type: 'XObject', Subtype: 'Image', Width: p.width, Height: p.height, BitsPerComponent: 8 };
  let smask: PDFRef | undefined;
  if (p.alpha) {
    smask = ctx.register(
      PDFRawStream.of(ctx.obj({ ...base, ColorSpace: 'DeviceGray', Filter: 'FlateDecode' }), p.alpha),
    );
  }
  return ctx.register(
    PDFRawStream.of(
      ctx.obj({ ...base, ColorSpace: 'DeviceRGB', Filter: 'FlateDecode', ...(smask ? { SMask: smask } : {}) }),
      p.rgb,
    ),
  );
}

/** Draws an embedded image into the rectangle (PDF user space, points, origin bottom-left). */
export function drawImageRef(page: PDFPage, ref: PDFRef, x: number, y: number, w: number, h: number): void {
  const name = page.node.newXObject('Im', ref);
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(w, 0, 0, h, x, y),
    drawObject(name),
    popGraphicsState(),
  );
}
