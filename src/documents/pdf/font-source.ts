import type { FontRole } from '../page-model.js';

/**
 * Where the PDF writer gets its fonts: TTF bytes (with a cmap, so text stays searchable) covering every character
 * drawn in a role. The default is the shared fonts module (`sharedFontSource` in src/documents/fonts.ts: harfbuzz
 * subsets of Noto Serif SC with HanaMin fallbacks). Never fontkit's own subsetter: it blanks CJK glyphs
 * (stack-notes "Files").
 */
export interface PdfFontSource {
  /**
   * Subset TTF(s) for `role` covering `text`. Several faces mean a fallback chain (e.g. a second font for CJK
   * Extension B): each character is drawn with the first face whose cmap has it. `common` is the document's
   * DocumentModel.commonChars for the role (with the footer): a source may serve those from one shared subset.
   */
  subset(role: FontRole, text: string, common?: string): Promise<Uint8Array | readonly Uint8Array[]>;
}
