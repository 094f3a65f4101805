import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { assetPath } from '../../paths.js';
import type { FontRole } from '../page-model.js';

/**
 * Where the PDF writer gets its fonts: TTF bytes (with a cmap, so text stays searchable) covering every character
 * drawn in a role. The shared fonts module (src/documents/fonts.ts) is the real source; this interim source loads
 * the same OFL Noto Serif SC TTFs from npm and subsets them with harfbuzz (subset-font), so the PDF can be built and
 * tested before that module lands. Never fontkit's own subsetter: it blanks CJK glyphs (stack-notes "Files").
 */
export interface PdfFontSource {
  /**
   * Subset TTF(s) for `role` covering `text`. Several faces mean a fallback chain (e.g. a second font for CJK
   * Extension B): each character is drawn with the first face whose cmap has it.
   */
  subset(role: FontRole, text: string): Promise<Uint8Array | readonly Uint8Array[]>;
}

type SubsetFont = (buf: Buffer, text: string, opts: { targetFormat: 'truetype' }) => Promise<Buffer>;
const require = createRequire(import.meta.url);

const FILES: Record<FontRole, string> = {
  serif: 'node_modules/@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf',
  'serif-bold': 'node_modules/@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf',
  sans: 'node_modules/@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf',
};

const cache = new Map<FontRole, Buffer>();

export const interimFontSource: PdfFontSource = {
  async subset(role, text) {
    let full = cache.get(role);
    if (!full) {
      full = readFileSync(assetPath(FILES[role]));
      cache.set(role, full);
    }
    const subsetFont = require('subset-font') as SubsetFont;
    return new Uint8Array(await subsetFont(full, text, { targetFormat: 'truetype' }));
  },
};
