import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { DomainError } from '../domain/problem.js';
import { assetPath } from '../paths.js';
import type { FontRole } from './page-model.js';

/**
 * Fonts for certificates: freely licensed faces, never downloaded at run time.
 * - Noto Serif SC (SIL OFL, npm `@expo-google-fonts/noto-serif-sc`, installed by `npm ci`) covers GB 18030's common
 *   range and CJK Extension A (e.g. 㛃).
 * - HanaMin A/B (Hanazono, free licence; Debian `fonts-hanazono`, installed by `.ci/run`) cover CJK Extension B and
 *   beyond (e.g. 𠮷) — used only for characters Noto lacks, and only where installed.
 * A character no available face covers stops the render with an error naming it (never a blank box on a legal
 * document, issue 5 §1).
 */
export interface Face {
  readonly name: string;
  /** Family name written into the OFD (readers pick a system font by it). */
  readonly family: string;
  readonly path: string;
}

const NOTO_REGULAR = 'node_modules/@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf';
const NOTO_BOLD = 'node_modules/@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf';
const HANA_A = '/usr/share/fonts/truetype/hanazono/HanaMinA.ttf';
const HANA_B = '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf';

function chainOf(role: FontRole): Face[] {
  const primary: Face =
    role === 'serif-bold'
      ? { name: 'NotoSerifSC-Bold', family: 'Noto Serif SC', path: assetPath(NOTO_BOLD) }
      : { name: 'NotoSerifSC-Regular', family: 'Noto Serif SC', path: assetPath(NOTO_REGULAR) };
  const fallbacks: Face[] = [
    { name: 'HanaMinA', family: 'HanaMinA', path: HANA_A },
    { name: 'HanaMinB', family: 'HanaMinB', path: HANA_B },
  ].filter((f) => existsSync(f.path));
  return [primary, ...fallbacks];
}

const chains = new Map<FontRole, Face[]>();
export function fontChain(role: FontRole): readonly Face[] {
  let c = chains.get(role);
  if (!c) {
    c = chainOf(role);
    chains.set(role, c);
  }
  return c;
}

const opened = new Map<string, fontkit.Font>();
const bytes = new Map<string, Buffer>();
function fontOf(face: Face): fontkit.Font {
  let f = opened.get(face.path);
  if (!f) {
    const buf = readFileSync(face.path);
    bytes.set(face.path, buf);
    f = fontkit.create(buf) as fontkit.Font;
    opened.set(face.path, f);
  }
  return f;
}

const faceCache = new Map<string, number>();
/** Index in the role's chain of the first face with a glyph for the code point, or -1. */
export function faceIndexFor(cp: number, role: FontRole): number {
  const key = `${role}:${cp}`;
  const hit = faceCache.get(key);
  if (hit !== undefined) return hit;
  const chain = fontChain(role);
  let idx = -1;
  for (let i = 0; i < chain.length; i++) {
    if (fontOf(chain[i]!).hasGlyphForCodePoint(cp)) {
      idx = i;
      break;
    }
  }
  faceCache.set(key, idx);
  return idx;
}

const IGNORABLE = /[\n\r\t]/;

/** Throws FONT_GLYPH_MISSING naming every character no face of the role covers. */
export function checkCoverage(text: string, role: FontRole, field?: string): void {
  const missing = new Set<string>();
  for (const ch of text) {
    if (IGNORABLE.test(ch) || ch === ' ') continue;
    if (faceIndexFor(ch.codePointAt(0)!, role) < 0) missing.add(ch);
  }
  if (missing.size) {
    const list = [...missing]
      .map((c) => `${c} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`)
      .join('、');
    throw new DomainError(
      'FONT_GLYPH_MISSING',
      `字库中没有以下字符，不能生成证照：${list}（请安装生僻字字库 fonts-hanazono 或联系管理员）`,
      `No bundled font has these characters; the certificate cannot be rendered: ${list}`,
      field,
    );
  }
}

const advCache = new Map<string, number>();
/** Advance width of a character as a fraction of the em. */
export function advanceEm(ch: string, role: FontRole): number {
  const key = `${role}:${ch}`;
  const hit = advCache.get(key);
  if (hit !== undefined) return hit;
  const cp = ch.codePointAt(0)!;
  const i = faceIndexFor(cp, role);
  let adv = 1;
  if (i >= 0) {
    const f = fontOf(fontChain(role)[i]!);
    adv = f.glyphForCodePoint(cp).advanceWidth / f.unitsPerEm;
  }
  advCache.set(key, adv);
  return adv;
}

export function measureText(text: string, role: FontRole, sizeMm: number): number {
  let w = 0;
  for (const ch of text) w += advanceEm(ch, role);
  return w * sizeMm;
}

/** Splits text into runs drawn by one face each (fallback for rare characters). */
export function splitRuns(text: string, role: FontRole): { face: number; text: string }[] {
  const runs: { face: number; text: string }[] = [];
  for (const ch of text) {
    const f = Math.max(0, faceIndexFor(ch.codePointAt(0)!, role));
    const last = runs[runs.length - 1];
    if (last && last.face === f) last.text += ch;
    else runs.push({ face: f, text: ch });
  }
  return runs;
}

type SubsetFont = (buf: Buffer, text: string, opts: { targetFormat: 'truetype' }) => Promise<Buffer>;
const require = createRequire(import.meta.url);
const subsetCache = new Map<string, Promise<Uint8Array>>();

/** A TrueType subset (with cmap, harfbuzz via subset-font) of one face covering `chars`. Cached by content. */
export function subsetFace(face: Face, chars: string): Promise<Uint8Array> {
  const sorted = [...new Set(chars)].sort().join('');
  const key = `${face.path}|${sorted}`;
  let p = subsetCache.get(key);
  if (!p) {
    fontOf(face);
    const subsetFont = require('subset-font') as SubsetFont;
    p = subsetFont(bytes.get(face.path)!, sorted, { targetFormat: 'truetype' }).then((b) => new Uint8Array(b));
    subsetCache.set(key, p);
    if (subsetCache.size > 2000) subsetCache.delete(subsetCache.keys().next().value!);
  }
  return p;
}

/** The PdfFontSource the PDF writer takes: one subset per face of the chain that the text needs, in chain order. */
export const sharedFontSource = {
  async subset(role: FontRole, text: string): Promise<readonly Uint8Array[]> {
    checkCoverage(text, role);
    const chain = fontChain(role);
    const perFace = new Map<number, string>();
    for (const ch of text) {
      const i = faceIndexFor(ch.codePointAt(0)!, role);
      if (i >= 0) perFace.set(i, (perFace.get(i) ?? '') + ch);
    }
    if (!perFace.size) perFace.set(0, ' ');
    const order = [...perFace.keys()].sort((a, b) => a - b);
    return Promise.all(order.map((i) => subsetFace(chain[i]!, perFace.get(i)!)));
  },
};
