import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';

/**
 * Loose PNG snapshot comparison: same dimensions, and at most `maxShare` of the compared pixels differ by more than
 * `tolerance` in any channel — font hinting and antialiasing noise stays under it, a moved or missing item does not.
 * Rectangles in `ignore` (pixels) are skipped, e.g. the signed info QR whose SM2 signature is randomised.
 * Set BDCERT_UPDATE_GOLDEN=1 to (re)write the snapshot.
 */
export interface CompareResult {
  readonly written: boolean;
  readonly differing: number;
  readonly share: number;
}

export interface PxRect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export function compareWithGolden(
  actualPng: Uint8Array,
  goldenPath: string,
  opts: { tolerance?: number; maxShare?: number; ignore?: readonly PxRect[] } = {},
): CompareResult {
  if (process.env.BDCERT_UPDATE_GOLDEN || !existsSync(goldenPath)) {
    if (!process.env.BDCERT_UPDATE_GOLDEN && process.env.CI) throw new Error(`golden snapshot missing: ${goldenPath}`);
    mkdirSync(dirname(goldenPath), { recursive: true });
    writeFileSync(goldenPath, actualPng);
    return { written: true, differing: 0, share: 0 };
  }
  const a = PNG.sync.read(Buffer.from(actualPng));
  const g = PNG.sync.read(readFileSync(goldenPath));
  if (a.width !== g.width || a.height !== g.height) {
    throw new Error(`snapshot size ${a.width}×${a.height} ≠ golden ${g.width}×${g.height} (${goldenPath})`);
  }
  const tol = opts.tolerance ?? 64;
  const ignore = opts.ignore ?? [];
  let differing = 0;
  let compared = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (ignore.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)) continue;
      compared++;
      const i = (y * a.width + x) * 4;
      for (let c = 0; c < 3; c++) {
        if (Math.abs((a.data[i + c] ?? 0) - (g.data[i + c] ?? 0)) > tol) {
          differing++;
          break;
        }
      }
    }
  }
  const share = differing / Math.max(1, compared);
  const max = opts.maxShare ?? 0.003;
  if (share > max) {
    const out = `test-results/${goldenPath.split('/').pop()?.replace('.png', '')}.actual.png`;
    mkdirSync('test-results', { recursive: true });
    writeFileSync(out, actualPng);
    throw new Error(
      `snapshot differs from ${goldenPath}: ${(share * 100).toFixed(3)}% of pixels (max ${max * 100}%); actual in ${out}`,
    );
  }
  return { written: false, differing, share };
}
