export type { PdfFontSource } from './fonts-interim.js';
export { CONVENIENCE_NOTE, CONVENIENCE_NOTE_EN, type RenderPdfOptions, renderPdf } from './render.js';
