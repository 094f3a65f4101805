import { createRequire } from 'node:module';
import {
  degrees,
  PDFDocument,
  type PDFDocument as PDFDocumentType,
  type PDFFont,
  type PDFPage,
  type PDFRef,
  rgb,
} from '@cantoo/pdf-lib';
import { DomainError } from '../../domain/problem.js';
import { sharedFontSource } from '../fonts.js';
import type { DocumentModel, FontRole, PageModel, Rgb, TextItem } from '../page-model.js';
import type { PdfFontSource } from './font-source.js';
import { drawImageRef, embedPngCached } from './images.js';

/**
 * PDF convenience copy (issue 5 item 5): draws the same DocumentModel as the sealed OFD — searchable CJK text in
 * embedded subset fonts, paths, images, the rotated semi-transparent 已注销 watermark — and says on every page and
 * in its metadata that it is not the authoritative file: the sealed OFD and the registration record are.
 */
export const CONVENIENCE_NOTE = '本PDF为便利副本，以加盖电子印章的OFD文件及登记记录为准';
export const CONVENIENCE_NOTE_EN =
  'Convenience copy. The electronically sealed OFD file and the registration record are authoritative.';

const PT_PER_MM = 72 / 25.4;
const FOOTER_ROLE: FontRole = 'serif';
const FOOTER_SIZE_MM = 2.6;
const FOOTER_FROM_BOTTOM_MM = 5;

type Fontkit = Parameters<PDFDocumentType['registerFontkit']>[0];
const require = createRequire(import.meta.url);

export interface RenderPdfOptions {
  /** Font source; the shared fonts module by default. */
  readonly fonts?: PdfFontSource;
  /** Seal picture drawn at `doc.sealAnchor` when the page has no image with role 'seal' (the OFD shows it as a StampAnnot). */
  readonly sealPng?: Uint8Array;
  /** CreationDate/ModDate; fixed by callers that want reproducible bytes. */
  readonly createdAt?: Date;
}

/**
 * page-model.ts does not fix the colour range: the layouts write 0–1 (`RED = [0.78, 0.05, 0.05]`), OFD's RGB space
 * is 0–255. Any component above 1 means 0–255; otherwise 0–1 (an intended 0–255 colour with all components ≤ 1 is
 * black either way).
 */
const color = (c: Rgb | undefined, fallback: Rgb = [0, 0, 0]) => {
  const [r, g, b] = c ?? fallback;
  const k = r > 1 || g > 1 || b > 1 ? 255 : 1;
  const unit = (v: number) => Math.min(1, Math.max(0, v / k));
  return rgb(unit(r), unit(g), unit(b));
};

/** Every character drawn per font role (plus the footer), so one subset per role covers the whole document. */
function textByRole(doc: DocumentModel): Map<FontRole, string> {
  const sets = new Map<FontRole, Set<string>>();
  const add = (role: FontRole, s: string) => {
    let set = sets.get(role);
    if (!set) {
      set = new Set();
      sets.set(role, set);
    }
    for (const ch of s) set.add(ch);
  };
  for (const p of doc.pages) for (const it of p.items) if (it.kind === 'text') add(it.font, it.text);
  add(FOOTER_ROLE, CONVENIENCE_NOTE);
  return new Map([...sets].map(([role, set]) => [role, [...set].sort().join('')]));
}

/** The faces of one role in priority order; each character is drawn with the first face that has it. */
interface RoleFaces {
  readonly faces: readonly { readonly font: PDFFont; readonly covered: ReadonlySet<number> }[];
}

/** Splits `text` into runs of consecutive characters drawn with the same face. */
function runsOf(text: string, rf: RoleFaces): { text: string; font: PDFFont }[] {
  const runs: { text: string; font: PDFFont }[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const face = rf.faces.find((f) => f.covered.has(cp)) ?? rf.faces[0];
    if (!face) throw new Error('renderPdf: a role without faces');
    const last = runs.at(-1);
    if (last && last.font === face.font) last.text += ch;
    else runs.push({ text: ch, font: face.font });
  }
  return runs;
}

function drawText(page: PDFPage, heightPt: number, it: TextItem, rf: RoleFaces): void {
  const size = it.sizeMm * PT_PER_MM;
  // The model rotates clockwise in a y-down space; PDF rotates counter-clockwise in y-up.
  const rad = ((it.rotateDeg ?? 0) * Math.PI) / 180;
  let x = it.xMm * PT_PER_MM;
  let y = heightPt - it.yMm * PT_PER_MM;
  for (const run of runsOf(it.text, rf)) {
    page.drawText(run.text, {
      x,
      y,
      size,
      font: run.font,
      color: color(it.color),
      ...(it.rotateDeg ? { rotate: degrees(-it.rotateDeg) } : {}),
      ...(it.opacity !== undefined && it.opacity < 1 ? { opacity: it.opacity } : {}),
    });
    // A fallback face (e.g. for a CJK Extension B character) continues where the previous run ended.
    const adv = run.font.widthOfTextAtSize(run.text, size);
    x += adv * Math.cos(rad);
    y -= adv * Math.sin(rad);
  }
}

function svgPath(points: readonly (readonly [number, number])[], closed: boolean): string {
  const d = points.map(
    ([x, y], i) => `${i === 0 ? 'M' : 'L'}${(x * PT_PER_MM).toFixed(3)} ${(y * PT_PER_MM).toFixed(3)}`,
  );
  return `${d.join(' ')}${closed ? ' Z' : ''}`;
}

export async function renderPdf(doc: DocumentModel, opts: RenderPdfOptions = {}): Promise<Uint8Array> {
  if (doc.pages.length === 0) throw new Error('renderPdf: the document has no pages');
  const pdf = await PDFDocument.create();
  pdf.registerFontkit(require('fontkit') as Fontkit);
  const source: PdfFontSource = opts.fonts ?? sharedFontSource;

  const fonts = new Map<FontRole, RoleFaces>();
  for (const [role, text] of textByRole(doc)) {
    const subset = await source.subset(role, text);
    const faces: RoleFaces['faces'][number][] = [];
    for (const ttf of subset instanceof Uint8Array ? [subset] : subset) {
      // Already a harfbuzz subset with a cmap: embed as-is (subset: false), never re-subset with fontkit.
      const font = await pdf.embedFont(ttf, { subset: false });
      faces.push({ font, covered: new Set(font.getCharacterSet()) });
    }
    // Issue 5 item 1: a character no bundled font covers stops the render — never a blank box on a legal document.
    const missing = [...new Set(text)].filter(
      (ch) => !/\s/.test(ch) && !faces.some((f) => f.covered.has(ch.codePointAt(0) ?? 0)),
    );
    if (missing.length > 0) {
      const list = missing.map((ch) => `${ch} (U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()})`).join(', ');
      throw new DomainError(
        'FONT_GLYPH_MISSING',
        `字体缺字，无法生成PDF：${list}`,
        `no bundled font has a glyph for: ${list}`,
      );
    }
    fonts.set(role, { faces });
  }
  const fontFor = (role: FontRole): RoleFaces => {
    const f = fonts.get(role);
    if (!f) throw new Error(`renderPdf: no font for role ${role}`);
    return f;
  };

  const images = new Map<Uint8Array, PDFRef>();
  const imageFor = (png: Uint8Array): PDFRef => {
    let ref = images.get(png);
    if (!ref) {
      ref = embedPngCached(pdf, png);
      images.set(png, ref);
    }
    return ref;
  };

  for (const [index, model] of doc.pages.entries()) {
    await drawPage(pdf, model, index);
  }

  async function drawPage(target: PDFDocument, model: PageModel, index: number): Promise<void> {
    const w = model.widthMm * PT_PER_MM;
    const h = model.heightMm * PT_PER_MM;
    const page = target.addPage([w, h]);
    for (const it of model.items) {
      if (it.kind === 'text') drawText(page, h, it, fontFor(it.font));
      else if (it.kind === 'path') {
        if (it.points.length < 2) continue;
        const stroked = it.stroke !== undefined || it.fill === undefined;
        page.drawSvgPath(svgPath(it.points, it.closed), {
          x: 0,
          y: h,
          ...(it.fill ? { color: color(it.fill) } : {}),
          ...(stroked ? { borderColor: color(it.stroke), borderWidth: (it.strokeMm ?? 0.2) * PT_PER_MM } : {}),
        });
      } else {
        drawImageRef(
          page,
          imageFor(it.png),
          it.xMm * PT_PER_MM,
          h - (it.yMm + it.hMm) * PT_PER_MM,
          it.wMm * PT_PER_MM,
          it.hMm * PT_PER_MM,
        );
      }
    }
    const a = doc.sealAnchor;
    if (
      a &&
      a.pageIndex === index &&
      opts.sealPng &&
      !model.items.some((i) => i.kind === 'image' && i.role === 'seal')
    ) {
      drawImageRef(
        page,
        imageFor(opts.sealPng),
        a.xMm * PT_PER_MM,
        h - (a.yMm + a.hMm) * PT_PER_MM,
        a.wMm * PT_PER_MM,
        a.hMm * PT_PER_MM,
      );
    }
    // The convenience-copy line on every page, centred at the foot.
    const footer = fontFor(FOOTER_ROLE);
    const size = FOOTER_SIZE_MM * PT_PER_MM;
    const tw = runsOf(CONVENIENCE_NOTE, footer).reduce((sum, r) => sum + r.font.widthOfTextAtSize(r.text, size), 0);
    drawText(
      page,
      h,
      {
        kind: 'text',
        xMm: (w - tw) / 2 / PT_PER_MM,
        yMm: model.heightMm - FOOTER_FROM_BOTTOM_MM,
        sizeMm: FOOTER_SIZE_MM,
        text: CONVENIENCE_NOTE,
        font: FOOTER_ROLE,
        color: [89, 89, 89],
      },
      footer,
    );
  }

  const when = opts.createdAt ?? new Date();
  pdf.setTitle(doc.title, { showInWindowTitleBar: true });
  pdf.setSubject(`${CONVENIENCE_NOTE} / ${CONVENIENCE_NOTE_EN}`);
  pdf.setKeywords(Object.entries(doc.meta).map(([k, v]) => `${k}=${v}`));
  pdf.setCreator('bdcert');
  pdf.setProducer('bdcert');
  pdf.setLanguage('zh-CN');
  pdf.setCreationDate(when);
  pdf.setModificationDate(when);
  return pdf.save({ useObjectStreams: false });
}
