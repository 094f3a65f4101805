import { existsSync, readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import { DomainError } from '../domain/problem.js';
import { assetPath } from '../paths.js';
import { shareDigest } from './digests.js';
import { subsetTrueType } from './harfbuzz.js';
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
function fontOf(face: Face): fontkit.Font {
  let f = opened.get(face.path);
  if (!f) {
    f = fontkit.create(readFileSync(face.path)) as fontkit.Font;
    opened.set(face.path, f);
  }
  return f;
}

// Per-role caches keyed by code point / character: no key string is built per character looked up.
const faceCache = new Map<FontRole, Map<number, number>>();
/** Index in the role's chain of the first face with a glyph for the code point, or -1. */
export function faceIndexFor(cp: number, role: FontRole): number {
  let cache = faceCache.get(role);
  if (!cache) {
    cache = new Map();
    faceCache.set(role, cache);
  }
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  const chain = fontChain(role);
  let idx = -1;
  for (let i = 0; i < chain.length; i++) {
    if (fontOf(chain[i]!).hasGlyphForCodePoint(cp)) {
      idx = i;
      break;
    }
  }
  cache.set(cp, idx);
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

const advCache = new Map<FontRole, Map<string, number>>();
/** Advance width of a character as a fraction of the em. */
export function advanceEm(ch: string, role: FontRole): number {
  let cache = advCache.get(role);
  if (!cache) {
    cache = new Map();
    advCache.set(role, cache);
  }
  const hit = cache.get(ch);
  if (hit !== undefined) return hit;
  const cp = ch.codePointAt(0)!;
  const i = faceIndexFor(cp, role);
  let adv = 1;
  if (i >= 0) {
    const f = fontOf(fontChain(role)[i]!);
    adv = f.glyphForCodePoint(cp).advanceWidth / f.unitsPerEm;
  }
  cache.set(ch, adv);
  return adv;
}

export function measureText(text: string, role: FontRole, sizeMm: number): number {
  let w = 0;
  for (const ch of text) w += advanceEm(ch, role);
  return w * sizeMm;
}

/**
 * Splits `text` where `keyOf` of its code points changes: each run a slice of `text`, not a string grown a
 * character at a time (one allocation per run, not per character).
 */
export function runsBy<K>(text: string, keyOf: (cp: number) => K): { key: K; text: string }[] {
  const runs: { key: K; text: string }[] = [];
  let start = 0;
  let key: K | undefined;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const k = keyOf(cp);
    if (i === 0 || k !== key) {
      if (i > start) runs.push({ key: key as K, text: text.slice(start, i) });
      start = i;
      key = k;
    }
    i += cp > 0xffff ? 2 : 1;
  }
  if (text.length > start) runs.push({ key: key as K, text: text.slice(start) });
  return runs;
}

/** Splits text into runs drawn by one face each (fallback for rare characters). */
export function splitRuns(text: string, role: FontRole): { face: number; text: string }[] {
  return runsBy(text, (cp) => Math.max(0, faceIndexFor(cp, role))).map((r) => ({ face: r.key, text: r.text }));
}

const subsetCache = new Map<string, Uint8Array>();
/** Time spent making subsets (cache misses) on this thread: bench/documents prints it as the font-subset share. */
export const subsetTiming = { ms: 0 };
/** Enough for every subset of one document (OFD and PDF share them) and for repeated renders in tests. */
const SUBSET_CACHE_ENTRIES = 32;

/**
 * A TrueType subset (with cmap; harfbuzz, src/documents/harfbuzz.ts) of one face covering `chars`. Cached by
 * content: the OFD writer and the PDF copy of a document ask for the same sets, so each is made once.
 */
export function subsetFace(face: Face, chars: string): Uint8Array {
  const cps = [...new Set(Array.from(chars, (c) => c.codePointAt(0)!))].sort((a, b) => a - b);
  const key = `${face.path}|${String.fromCodePoint(...cps)}`;
  let hit = subsetCache.get(key);
  if (hit) {
    // keep recently used entries at the end (LRU)
    subsetCache.delete(key);
  } else {
    const t0 = performance.now();
    hit = subsetTrueType(face.path, cps);
    subsetTiming.ms += performance.now() - t0;
    if (subsetCache.size >= SUBSET_CACHE_ENTRIES) subsetCache.delete(subsetCache.keys().next().value!);
  }
  subsetCache.set(key, hit);
  return hit;
}

/**
 * The common subset of a role: the characters of `chars` that the role's primary face has (a layout's fixed text,
 * DocumentModel.commonChars), made once and kept for the process — every certificate of the layout embeds these
 * same bytes, so its subsetting, its SM3 (digests.ts) and its PDF font data (cid-font.ts) are computed once.
 */
export interface CommonSubset {
  readonly ttf: Uint8Array;
  /** The code points it covers: a character drawn is served by it exactly when it is in this set. */
  readonly codePoints: ReadonlySet<number>;
}
const commonCache = new Map<string, CommonSubset>();
const COMMON_CACHE_ENTRIES = 16;

export function commonSubset(role: FontRole, chars: string): CommonSubset {
  const key = `${role}|${chars}`;
  let hit = commonCache.get(key);
  if (!hit) {
    const cps = new Set<number>();
    for (const ch of chars) {
      const cp = ch.codePointAt(0)!;
      if (!IGNORABLE.test(ch) && faceIndexFor(cp, role) === 0) cps.add(cp);
    }
    // straight from harfbuzz, not through subsetFace: kept here, it must not take a place in the per-document LRU
    const ttf = subsetTrueType(
      fontChain(role)[0]!.path,
      [...cps].sort((x, y) => x - y),
    );
    shareDigest(ttf);
    hit = { ttf, codePoints: cps };
    if (commonCache.size >= COMMON_CACHE_ENTRIES) commonCache.delete(commonCache.keys().next().value!);
    commonCache.set(key, hit);
  }
  return hit;
}

/**
 * The PdfFontSource the PDF writer takes: one subset per face of the chain that the text needs, in chain order —
 * with `common` characters, the role's common subset first and the primary face's other characters after it.
 */
export const sharedFontSource = {
  async subset(role: FontRole, text: string, common?: string): Promise<readonly Uint8Array[]> {
    checkCoverage(text, role);
    const chain = fontChain(role);
    const shared = common ? commonSubset(role, common) : undefined;
    let usesShared = false;
    const perFace = new Map<number, string>();
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (shared?.codePoints.has(cp)) {
        usesShared = true;
        continue;
      }
      const i = faceIndexFor(cp, role);
      if (i >= 0) perFace.set(i, (perFace.get(i) ?? '') + ch);
    }
    if (!perFace.size && !usesShared) perFace.set(0, ' ');
    const order = [...perFace.keys()].sort((a, b) => a - b);
    const own = order.map((i) => subsetFace(chain[i]!, perFace.get(i)!));
    return shared && usesShared ? [shared.ttf, ...own] : own;
  },
};
