export type { PdfFontSource } from './font-source.js';
export { CONVENIENCE_NOTE, CONVENIENCE_NOTE_EN, FOOTER_ROLE, type RenderPdfOptions, renderPdf } from './render.js';
