/**
 * The neutral page model: layouts produce it, the OFD writer and the PDF writer both consume it, so the sealed OFD
 * and the PDF convenience copy show exactly the same thing. Units are millimetres (OFD's native unit), origin at the
 * top-left corner of the page, y growing downwards.
 */
export type Rgb = readonly [number, number, number];

/** Which bundled face a text run uses; the font module maps a role to a real font (and its fallbacks). */
export type FontRole = 'serif' | 'serif-bold' | 'sans';

export interface TextItem {
  readonly kind: 'text';
  /** Left end of the baseline. */
  readonly xMm: number;
  readonly yMm: number;
  /** Font size (em height) in millimetres. */
  readonly sizeMm: number;
  readonly text: string;
  readonly font: FontRole;
  readonly color?: Rgb;
  /** Clockwise rotation around (xMm, yMm), degrees — used by the 已注销 watermark. */
  readonly rotateDeg?: number;
  /** 0–1; 1 when absent. */
  readonly opacity?: number;
}

export interface PathItem {
  readonly kind: 'path';
  readonly points: readonly (readonly [number, number])[];
  readonly closed: boolean;
  readonly strokeMm?: number;
  readonly stroke?: Rgb;
  readonly fill?: Rgb;
}

export type ImageRole = 'qr-query' | 'qr-info' | 'seal' | 'mark' | 'figure';

export interface ImageItem {
  readonly kind: 'image';
  readonly xMm: number;
  readonly yMm: number;
  readonly wMm: number;
  readonly hMm: number;
  /** PNG bytes (with alpha where needed). */
  readonly png: Uint8Array;
  readonly role: ImageRole;
}

export type PageItem = TextItem | PathItem | ImageItem;

export interface PageModel {
  readonly widthMm: number;
  readonly heightMm: number;
  readonly items: readonly PageItem[];
}

/** Where the agency's seal goes: the 「登记机构（章）」 position (Huangchuan 1.5). */
export interface SealAnchor {
  readonly pageIndex: number;
  readonly xMm: number;
  readonly yMm: number;
  readonly wMm: number;
  readonly hMm: number;
}

export interface DocumentModel {
  readonly title: string;
  readonly pages: readonly PageModel[];
  /** Metadata carried in the file itself (standards.md §6): key → value, keys in the standard's Chinese names. */
  readonly meta: Readonly<Record<string, string>>;
  readonly sealAnchor?: SealAnchor;
  /**
   * Characters that every document of this layout draws (labels and fixed text), per role. Both writers embed them
   * as one subset per role that is made once and shared by every such document, and subset per document only the
   * rest (names, addresses, numbers): most of a certificate's glyphs are its form's.
   */
  readonly commonChars?: Partial<Record<FontRole, string>>;
}
