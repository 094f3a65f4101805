import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { assetPath } from '../paths.js';
import { encodePng } from './png.js';

/**
 * Seal pictures (issue 4 §5). A generated round red seal — the agency name along the upper rim, a five-pointed star in
 * the centre, 「不动产登记专用章」 across below it — as SVG and PNG, the same bytes for the same agency; and checks for a
 * scanned seal image (PNG with an alpha channel, so the page shows through).
 */
export const SEAL_DIAMETER_MM = 42; // the common size of an official round seal
const RED = '#d4000f';
const FONT_FILE = 'node_modules/@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf';
const FONT_FAMILY = 'Noto Serif SC';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function starPath(cx: number, cy: number, r: number): string {
  const pts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const rad = i % 2 === 0 ? r : r * 0.382;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    pts.push(`${(cx + rad * Math.cos(a)).toFixed(3)},${(cy + rad * Math.sin(a)).toFixed(3)}`);
  }
  return `M${pts.join('L')}Z`;
}

/** SVG in a 420×420 user space (0.1 mm units), text drawn character by character so any renderer places it alike. */
export function sealSvg(agencyName: string, centreText = '不动产登记专用章'): string {
  const size = 420;
  const c = size / 2;
  const chars = [...agencyName];
  const n = chars.length;
  // The rim text spans an arc of up to 250° centred at the top, characters upright towards the centre.
  const span = Math.min(250, Math.max(120, n * 22));
  const radius = 160;
  const fontSize = Math.min(46, Math.max(28, ((radius * ((span * Math.PI) / 180)) / n) * 0.9));
  const rim = chars
    .map((ch, i) => {
      const deg = n === 1 ? 0 : -span / 2 + (span * i) / (n - 1);
      return `<text x="${c}" y="${c - radius + fontSize / 2}" font-size="${fontSize.toFixed(1)}" text-anchor="middle" transform="rotate(${deg.toFixed(3)} ${c} ${c})">${esc(ch)}</text>`;
    })
    .join('');
  const ct = [...centreText];
  const ctSize = Math.min(40, 300 / ct.length);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SEAL_DIAMETER_MM}mm" height="${SEAL_DIAMETER_MM}mm" viewBox="0 0 ${size} ${size}">`,
    `<g fill="${RED}" font-family="${FONT_FAMILY}" font-weight="700">`,
    `<circle cx="${c}" cy="${c}" r="${c - 8}" fill="none" stroke="${RED}" stroke-width="14"/>`,
    rim,
    `<path d="${starPath(c, c, 62)}"/>`,
    `<text x="${c}" y="${c + 125}" font-size="${ctSize.toFixed(1)}" text-anchor="middle">${esc(centreText)}</text>`,
    '</g></svg>',
  ].join('');
}

export function sealPng(agencyName: string, pixels = 600): Uint8Array {
  return rasterizeSealSvg(sealSvg(agencyName), pixels);
}

/**
 * An SVG seal picture as a transparent PNG (a seal from the provincial platform may carry SVG; the page shows a
 * PNG). Text in the SVG is drawn with the bundled font only — no system fonts, so the output does not depend on the
 * machine.
 */
export function rasterizeSealSvg(svg: string, pixels = 600): Uint8Array {
  const png = drawSealSvg(svg, pixels);
  // Indexed from the PNG's own (straight-alpha) pixels: resvg's raw `pixels` are premultiplied.
  const { width, height, data } = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  return indexedPng(width, height, data) ?? png;
}

/** resvg's own RGBA PNG of the SVG, before it is indexed (exported for the test that compares the two). */
export function drawSealSvg(svg: string, pixels = 600): Uint8Array {
  const fontFile = assetPath(FONT_FILE);
  if (!existsSync(fontFile)) throw new Error(`seal font missing: ${fontFile} (run npm ci)`);
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: pixels },
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    background: 'rgba(0,0,0,0)',
  });
  return new Uint8Array(r.render().asPng());
}

/**
 * The same pixels as an indexed PNG with per-entry alpha (PLTE + tRNS) when they have at most 256 distinct RGBA
 * values — a one-colour seal has a few dozen, from its anti-aliased edges — else undefined. Lossless: every pixel keeps its exact RGBA. The picture travels in every sealed file twice (Seal.esl and
 * the SESeal inside SignedValue.dat, GB/T 38540 §7) and once more in the PDF, so its size is paid on every
 * certificate: 51 KB as resvg's RGBA PNG, 16 KB indexed (600 px generated seal).
 */
export function indexedPng(width: number, height: number, rgba: Uint8Array): Uint8Array | undefined {
  if (rgba.length !== width * height * 4) throw new Error('indexedPng: pixel buffer size does not match');
  const index = new Map<number, number>();
  const rows = new Uint8Array((width + 1) * height); // filter byte 0 before each row
  const px = new DataView(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = px.getUint32((y * width + x) * 4);
      let i = index.get(v);
      if (i === undefined) {
        if (index.size === 256) return undefined;
        i = index.size;
        index.set(v, i);
      }
      rows[y * (width + 1) + 1 + x] = i;
    }
  }
  const palette = new Uint8Array(index.size * 3);
  const alpha = new Uint8Array(index.size);
  for (const [v, i] of index) {
    palette[i * 3] = v >>> 24;
    palette[i * 3 + 1] = (v >>> 16) & 0xff;
    palette[i * 3 + 2] = (v >>> 8) & 0xff;
    alpha[i] = v & 0xff;
  }
  return encodePng({ kind: 'indexed8', width, height, palette, alpha, rows }, 9);
}

export interface PngInfo {
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
}

/** Reads a PNG header; throws a bilingual error when it is not a PNG or has no transparency. */
export function checkSealPng(bytes: Uint8Array): PngInfo {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 33 || !sig.every((b, i) => bytes[i] === b)) {
    throw new Error('印章图片必须是PNG格式 / the seal image must be a PNG');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const colourType = bytes[25]!;
  // colour types 4 (grey+alpha) and 6 (RGBA) carry alpha; a tRNS chunk gives palette/RGB images transparency
  const hasTrns = Buffer.from(bytes).includes(Buffer.from('tRNS'));
  const hasAlpha = colourType === 4 || colourType === 6 || hasTrns;
  if (!hasAlpha) throw new Error('印章图片须带透明通道 / the seal image needs transparency (alpha channel)');
  if (width < 100 || height < 100)
    throw new Error('印章图片分辨率过低（至少100×100像素）/ seal image too small (≥100×100 px)');
  return { width, height, hasAlpha };
}
