import { Raster } from './raster.js';

/**
 * The unified registration mark (统一的不动产登记标识) placed in the centre of the 查询二维码 (Huangchuan 1.3).
 * This is an original, deliberately simple emblem — a round seal-blue disc with a white ring, a house on a strip of
 * land and the land's boundary line — not a copy of any official logo. An agency that holds the official artwork
 * can pass its own PNG instead (see `renderQueryQr`). Geometry is defined once, in a 100×100 box, and drawn both
 * as SVG (for web pages and docs) and into a raster (for the QR PNG), so the two always match.
 */
const BLUE: readonly [number, number, number] = [0x1d, 0x4e, 0x89];
const GREEN: readonly [number, number, number] = [0x2e, 0x8b, 0x57];
const WHITE: readonly [number, number, number] = [255, 255, 255];

type Pt = readonly [number, number];
const ROOF: readonly Pt[] = [
  [50, 22],
  [76, 46],
  [24, 46],
];
const BODY: readonly Pt[] = [
  [31, 46],
  [69, 46],
  [69, 66],
  [31, 66],
];
const DOOR: readonly Pt[] = [
  [45, 53],
  [55, 53],
  [55, 66],
  [45, 66],
];
const LAND: readonly Pt[] = [
  [20, 70],
  [80, 70],
  [74, 80],
  [26, 80],
];

interface Shape {
  readonly rgb: readonly [number, number, number];
  inside(x: number, y: number): boolean;
}

function polygon(points: readonly Pt[], rgb: readonly [number, number, number]): Shape {
  return {
    rgb,
    inside(x, y) {
      let inside = false;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i] as Pt;
        const [xj, yj] = points[j] as Pt;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    },
  };
}

function disc(cx: number, cy: number, r: number, rgb: readonly [number, number, number]): Shape {
  return { rgb, inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r };
}

/** Painter's order: later shapes cover earlier ones. */
const SHAPES: readonly Shape[] = [
  disc(50, 50, 50, WHITE),
  disc(50, 50, 47, BLUE),
  disc(50, 50, 41, WHITE),
  disc(50, 50, 38, BLUE),
  polygon(ROOF, WHITE),
  polygon(BODY, WHITE),
  polygon(DOOR, BLUE),
  polygon(LAND, GREEN),
];

const hex = (c: readonly [number, number, number]): string =>
  `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const pts = (p: readonly Pt[]): string => p.map(([x, y]) => `${x},${y}`).join(' ');

/** The mark as a standalone SVG document (viewBox 0 0 100 100). */
export function registrationMarkSvg(): string {
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" aria-label="不动产登记">',
    `<circle cx="50" cy="50" r="50" fill="${hex(WHITE)}"/>`,
    `<circle cx="50" cy="50" r="47" fill="${hex(BLUE)}"/>`,
    `<circle cx="50" cy="50" r="41" fill="${hex(WHITE)}"/>`,
    `<circle cx="50" cy="50" r="38" fill="${hex(BLUE)}"/>`,
    `<polygon points="${pts(ROOF)}" fill="${hex(WHITE)}"/>`,
    `<polygon points="${pts(BODY)}" fill="${hex(WHITE)}"/>`,
    `<polygon points="${pts(DOOR)}" fill="${hex(BLUE)}"/>`,
    `<polygon points="${pts(LAND)}" fill="${hex(GREEN)}"/>`,
    '</svg>',
  ].join('');
}

/** Per-pixel colour and coverage of the mark at one size; computed once per size (the mark is on every certificate). */
interface Tile {
  readonly rgb: Uint8Array;
  readonly alpha: Float32Array;
}
const tiles = new Map<number, Tile>();

function tileOf(size: number): Tile {
  const hit = tiles.get(size);
  if (hit) return hit;
  const ss = 4;
  const rgbOut = new Uint8Array(size * size * 3);
  const alphaOut = new Float32Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Colour of each subsample = the topmost shape containing it; outside the outer disc stays transparent.
      let r = 0;
      let g = 0;
      let b = 0;
      let hits = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const ux = ((px + (sx + 0.5) / ss) / size) * 100;
          const uy = ((py + (sy + 0.5) / ss) / size) * 100;
          let rgb: readonly [number, number, number] | undefined;
          for (const s of SHAPES) if (s.inside(ux, uy)) rgb = s.rgb;
          if (rgb) {
            r += rgb[0];
            g += rgb[1];
            b += rgb[2];
            hits++;
          }
        }
      }
      const i = py * size + px;
      if (hits > 0) {
        rgbOut[i * 3] = Math.round(r / hits);
        rgbOut[i * 3 + 1] = Math.round(g / hits);
        rgbOut[i * 3 + 2] = Math.round(b / hits);
      }
      alphaOut[i] = hits / (ss * ss);
    }
  }
  const tile = { rgb: rgbOut, alpha: alphaOut };
  if (tiles.size > 16) tiles.clear();
  tiles.set(size, tile);
  return tile;
}

/** Draws the mark into `raster` in the square (x, y, size), antialiased by 4×4 supersampling. */
export function drawRegistrationMark(raster: Raster, x: number, y: number, size: number): void {
  const t = tileOf(size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const i = py * size + px;
      const a = t.alpha[i] ?? 0;
      if (a > 0) raster.blend(x + px, y + py, [t.rgb[i * 3] ?? 0, t.rgb[i * 3 + 1] ?? 0, t.rgb[i * 3 + 2] ?? 0], a);
    }
  }
}

const overWhite = new Map<number, Uint32Array>();
/**
 * The mark at one size composited over white, as 0xRRGGBB per pixel — exactly what `drawRegistrationMark` leaves on
 * the white pad of the query QR (same blending and rounding), computed once per size. The QR writer turns it into
 * palette indices instead of blending RGBA pixels on every certificate.
 */
export function registrationMarkOverWhite(size: number): Uint32Array {
  const hit = overWhite.get(size);
  if (hit) return hit;
  const t = tileOf(size);
  const out = new Uint32Array(size * size);
  for (let i = 0; i < out.length; i++) {
    const a = t.alpha[i] ?? 0;
    let rgb = 0;
    for (let c = 0; c < 3; c++) {
      const v = a > 0 ? Math.round(255 * (1 - a) + (t.rgb[i * 3 + c] ?? 0) * a) : 255;
      rgb = (rgb << 8) | v;
    }
    out[i] = rgb;
  }
  if (overWhite.size > 16) overWhite.clear();
  overWhite.set(size, out);
  return out;
}

/** The mark alone as a PNG (white background), e.g. for an ImageItem with role 'mark'. */
export function registrationMarkPng(sizePx = 256): Uint8Array {
  const r = new Raster(sizePx, sizePx);
  drawRegistrationMark(r, 0, 0, sizePx);
  return r.toPng();
}
