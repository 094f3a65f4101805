import { PNG } from 'pngjs';
import QRCode, { type QRCodeErrorCorrectionLevel } from 'qrcode';

/**
 * A tiny RGBA raster: QR modules are drawn as exact pixel squares, the registration mark with 4×4 supersampling so
 * its edges are smooth without any graphics dependency. Deterministic: same input, same PNG bytes.
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
    // Filter "none" + zlib 6: QR images are flat blocks, so adaptive filtering buys nothing and costs most of the time.
    return new Uint8Array(PNG.sync.write(png, { colorType: 6, deflateLevel: 6, filterType: 0 }));
  }
}

export interface QrMatrix {
  /** Modules per side (without quiet zone). */
  readonly size: number;
  readonly version: number;
  isDark(row: number, col: number): boolean;
}

export function qrMatrix(text: string, level: QRCodeErrorCorrectionLevel): QrMatrix {
  // Byte mode over ASCII only: both payloads are ASCII (URL / base64url), so no reader guesses a charset.
  const qr = QRCode.create([{ data: new TextEncoder().encode(text), mode: 'byte' }], { errorCorrectionLevel: level });
  const m = qr.modules;
  return { size: m.size, version: qr.version, isDark: (r, c) => Boolean(m.get(r, c)) };
}

/** ISO/IEC 18004 asks for a 4-module quiet zone; readers (and zbarimg) fail more often without it. */
export const QUIET_ZONE = 4;

/**
 * Rasterises a QR matrix so that it fills about `sizeMm` at `dpi`: an integer number of pixels per module (at least
 * 4), so modules never blur. The returned image may be slightly larger than asked; the page places it in its slot.
 */
export function rasteriseQr(m: QrMatrix, sizeMm: number, dpi: number): { raster: Raster; scale: number } {
  const total = m.size + 2 * QUIET_ZONE;
  const wantPx = (sizeMm / 25.4) * dpi;
  const scale = Math.max(4, Math.ceil(wantPx / total));
  const raster = new Raster(total * scale, total * scale);
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (m.isDark(r, c)) raster.fillRect((c + QUIET_ZONE) * scale, (r + QUIET_ZONE) * scale, scale, scale, [0, 0, 0]);
    }
  }
  return { raster, scale };
}
