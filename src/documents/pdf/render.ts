import { sm3 } from '../../crypto/sm3.js';
import { DomainError } from '../../domain/problem.js';
import { deflateZlib, PART_LEVEL } from '../deflate.js';
import { identityOf, isShared, shareDigest, sharePrefix } from '../digests.js';
import { sharedFontSource } from '../fonts.js';
import type { DocumentModel, FontRole, ImageItem, PathItem, Rgb, TextItem } from '../page-model.js';
import { type EmbeddedCidFont, embedCidFont } from './cid-font.js';
import { num as n, PdfFile, type PdfPrefix, pdfDate, textString } from './file.js';
import type { PdfFontSource } from './font-source.js';
import { embedPngCached } from './images.js';

/**
 * PDF convenience copy (issue 5 item 5): draws the same DocumentModel as the sealed OFD — searchable CJK text in
 * embedded subset fonts, paths, images, the rotated semi-transparent 已注销 watermark — and says on every page and
 * in its metadata that it is not the authoritative file: the sealed OFD and the registration record are.
 *
 * The file is written directly (file.ts): the page content as raw operators (text as glyph-id strings of composite
 * fonts, cid-font.ts), fonts and images as their objects. What many certificates share — the layout's common font
 * subsets and the seal picture, registered as shared (digests.ts) — comes first, written once per combination and
 * reused as the file's prefix together with its SM3 state; only the certificate's own objects are written per PDF.
 */
export const CONVENIENCE_NOTE = '本PDF为便利副本，以加盖电子印章的OFD文件及登记记录为准';
export const CONVENIENCE_NOTE_EN =
  'Convenience copy. The electronically sealed OFD file and the registration record are authoritative.';

const PT_PER_MM = 72 / 25.4;
export const FOOTER_ROLE: FontRole = 'serif';
const FOOTER_SIZE_MM = 2.6;
const FOOTER_FROM_BOTTOM_MM = 5;
const FOOTER_COLOR: Rgb = [89, 89, 89];

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
const color = (c: Rgb | undefined, fallback: Rgb = [0, 0, 0]): string => {
  const [r, g, b] = c ?? fallback;
  const k = r > 1 || g > 1 || b > 1 ? 255 : 1;
  const unit = (v: number) => n(Math.min(1, Math.max(0, v / k)));
  return `${unit(r)} ${unit(g)} ${unit(b)}`;
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

/** The document's common characters of a role; the footer's belong to every page of every PDF. */
export function commonOf(doc: DocumentModel, role: FontRole): string | undefined {
  const c = doc.commonChars?.[role];
  if (c === undefined) return undefined;
  return role === FOOTER_ROLE ? c + CONVENIENCE_NOTE : c;
}

/** One embedded face of a role, with its resource name. */
interface Face {
  readonly name: string;
  readonly font: EmbeddedCidFont;
}

/** Width of a whitespace character no face has (never drawn, only advanced over), em. */
const BLANK_EM = 0.25;

/**
 * Text operators for one string: each character is drawn with the first face that has it; consecutive characters of
 * one face form one string. Inside one BT…ET the text position advances by the W widths, so a fallback face (e.g.
 * for a CJK Extension B character) continues exactly where the previous run ended, rotated or not.
 */
function textOps(faces: readonly Face[], text: string, sizePt: number): { ops: string; widthPt: number } {
  let ops = '';
  let current: Face | undefined;
  const hex: string[] = []; // joined once per string: growing one string by 4 characters a glyph allocates per glyph
  let width = 0;
  const flush = () => {
    if (current && hex.length) ops += `<${hex.join('')}> Tj\n`;
    hex.length = 0;
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const face = faces.find((f) => f.font.has(cp));
    if (!face) {
      // Only whitespace gets here (renderPdf refuses other uncovered characters): leave a gap, draw nothing.
      flush();
      ops += `[${n(-BLANK_EM * 1000)}] TJ\n`;
      width += BLANK_EM * 1000;
      continue;
    }
    if (face !== current) {
      flush();
      current = face;
      ops += `/${face.name} ${n(sizePt)} Tf\n`;
    }
    hex.push(face.font.hex(cp));
    width += face.font.width(cp);
  }
  flush();
  return { ops, widthPt: (width * sizePt) / 1000 };
}

interface SharedObjects {
  readonly prefix: PdfPrefix;
  readonly fonts: ReadonlyMap<Uint8Array, EmbeddedCidFont>;
  readonly images: ReadonlyMap<Uint8Array, number>;
}
/** By combination of shared fonts and pictures: one per layout and seal in practice. */
const prefixes = new Map<string, SharedObjects>();
const PREFIXES = 16;

function sharedObjects(fonts: readonly Uint8Array[], images: readonly Uint8Array[]): SharedObjects {
  const key = `${fonts.map(identityOf).join(',')}|${images.map(identityOf).join(',')}`;
  let hit = prefixes.get(key);
  if (!hit) {
    const file = new PdfFile();
    const fontRefs = new Map<Uint8Array, EmbeddedCidFont>();
    for (const [i, ttf] of fonts.entries()) fontRefs.set(ttf, embedCidFont(file, ttf, i));
    const imageRefs = new Map<Uint8Array, number>();
    for (const png of images) imageRefs.set(png, embedPngCached(file, png));
    hit = { prefix: file.toPrefix(), fonts: fontRefs, images: imageRefs };
    if (prefixes.size >= PREFIXES) prefixes.delete(prefixes.keys().next().value!);
    prefixes.set(key, hit);
  }
  return hit;
}

/** Every picture the document draws, in order of first use, with the seal picture where the page draws it. */
function picturesOf(doc: DocumentModel, sealPng: Uint8Array | undefined): Uint8Array[] {
  const seen = new Set<Uint8Array>();
  doc.pages.forEach((p, index) => {
    for (const it of p.items) if (it.kind === 'image') seen.add(it.png);
    if (sealPng && sealDrawnOn(doc, index, sealPng)) seen.add(sealPng);
  });
  return [...seen];
}

function sealDrawnOn(doc: DocumentModel, index: number, sealPng: Uint8Array | undefined): boolean {
  const a = doc.sealAnchor;
  const page = doc.pages[index];
  return Boolean(
    a && page && a.pageIndex === index && sealPng && !page.items.some((i) => i.kind === 'image' && i.role === 'seal'),
  );
}

export async function renderPdf(doc: DocumentModel, opts: RenderPdfOptions = {}): Promise<Uint8Array> {
  if (doc.pages.length === 0) throw new Error('renderPdf: the document has no pages');
  const source: PdfFontSource = opts.fonts ?? sharedFontSource;
  // The seal picture is the same object on every certificate the seal signs (the render workers keep it).
  if (opts.sealPng) shareDigest(opts.sealPng);

  const byRole = textByRole(doc);
  const subsets = new Map<FontRole, readonly Uint8Array[]>();
  for (const [role, text] of byRole) {
    const subset = await source.subset(role, text, commonOf(doc, role));
    subsets.set(role, subset instanceof Uint8Array ? [subset] : subset);
  }
  const pictures = picturesOf(doc, opts.sealPng);
  const shared = sharedObjects([...new Set([...subsets.values()].flat().filter(isShared))], pictures.filter(isShared));
  const file = new PdfFile(shared.prefix);
  const fontNames = new Map<string, number>();
  const images = new Map<Uint8Array, string>();
  const imageRefs = new Map<string, number>();
  let ownFonts = shared.fonts.size;

  const fonts = new Map<FontRole, Face[]>();
  for (const [role, text] of byRole) {
    const faces: Face[] = [];
    for (const ttf of subsets.get(role)!) {
      const name = `F${fontNames.size}`;
      const font = shared.fonts.get(ttf) ?? embedCidFont(file, ttf, ownFonts++);
      fontNames.set(name, font.ref);
      faces.push({ name, font });
    }
    // Issue 5 item 1: a character no bundled font covers stops the render — never a blank box on a legal document.
    const missing = [...new Set(text)].filter(
      (ch) => !/\s/.test(ch) && !faces.some((f) => f.font.has(ch.codePointAt(0) ?? 0)),
    );
    if (missing.length > 0) {
      const list = missing.map((ch) => `${ch} (U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()})`).join(', ');
      throw new DomainError(
        'FONT_GLYPH_MISSING',
        `字体缺字，无法生成PDF：${list}`,
        `no bundled font has a glyph for: ${list}`,
      );
    }
    fonts.set(role, faces);
  }
  const facesOf = (role: FontRole): Face[] => {
    const f = fonts.get(role);
    if (!f) throw new Error(`renderPdf: no font for role ${role}`);
    return f;
  };

  const imageName = (png: Uint8Array): string => {
    let name = images.get(png);
    if (!name) {
      name = `Im${images.size}`;
      images.set(png, name);
      imageRefs.set(name, shared.images.get(png) ?? embedPngCached(file, png));
    }
    return name;
  };
  const alphaStates = new Map<number, string>();
  const alphaName = (opacity: number): string => {
    let name = alphaStates.get(opacity);
    if (!name) {
      name = `GS${alphaStates.size}`;
      alphaStates.set(opacity, name);
    }
    return name;
  };

  const drawText = (h: number, it: TextItem): string => {
    const size = it.sizeMm * PT_PER_MM;
    const x = it.xMm * PT_PER_MM;
    const y = h - it.yMm * PT_PER_MM;
    // The model rotates clockwise in a y-down space; PDF rotates counter-clockwise in y-up.
    const rad = (-(it.rotateDeg ?? 0) * Math.PI) / 180;
    const tm = it.rotateDeg
      ? `${n(Math.cos(rad))} ${n(Math.sin(rad))} ${n(-Math.sin(rad))} ${n(Math.cos(rad))} ${n(x)} ${n(y)}`
      : `1 0 0 1 ${n(x)} ${n(y)}`;
    const { ops } = textOps(facesOf(it.font), it.text, size);
    const body = `BT\n${color(it.color)} rg\n${tm} Tm\n${ops}ET\n`;
    return it.opacity !== undefined && it.opacity < 1 ? `q\n/${alphaName(it.opacity)} gs\n${body}Q\n` : body;
  };

  const drawPath = (h: number, it: PathItem): string => {
    if (it.points.length < 2) return '';
    const stroked = it.stroke !== undefined || it.fill === undefined;
    let ops = 'q\n';
    if (it.fill) ops += `${color(it.fill)} rg\n`;
    if (stroked) ops += `${color(it.stroke)} RG\n${n((it.strokeMm ?? 0.2) * PT_PER_MM)} w\n`;
    it.points.forEach(([px, py], i) => {
      ops += `${n(px * PT_PER_MM)} ${n(h - py * PT_PER_MM)} ${i === 0 ? 'm' : 'l'}\n`;
    });
    if (it.closed) ops += 'h\n';
    ops += `${it.fill ? (stroked ? 'B' : 'f') : 'S'}\nQ\n`;
    return ops;
  };

  const drawImage = (h: number, png: Uint8Array, box: Pick<ImageItem, 'xMm' | 'yMm' | 'wMm' | 'hMm'>): string =>
    `q\n${n(box.wMm * PT_PER_MM)} 0 0 ${n(box.hMm * PT_PER_MM)} ${n(box.xMm * PT_PER_MM)} ${n(h - (box.yMm + box.hMm) * PT_PER_MM)} cm\n/${imageName(png)} Do\nQ\n`;

  const footerFaces = facesOf(FOOTER_ROLE);
  const footerSize = FOOTER_SIZE_MM * PT_PER_MM;
  const footerWidth = textOps(footerFaces, CONVENIENCE_NOTE, footerSize).widthPt;
  const resourcesRef = file.reserve();
  const pagesRef = file.reserve();
  const kids: number[] = [];
  for (const [index, model] of doc.pages.entries()) {
    const w = model.widthMm * PT_PER_MM;
    const h = model.heightMm * PT_PER_MM;
    let content = '';
    for (const it of model.items) {
      if (it.kind === 'text') content += drawText(h, it);
      else if (it.kind === 'path') content += drawPath(h, it);
      else content += drawImage(h, it.png, it);
    }
    const a = doc.sealAnchor;
    if (a && opts.sealPng && sealDrawnOn(doc, index, opts.sealPng)) content += drawImage(h, opts.sealPng, a);
    // The convenience-copy line on every page, centred at the foot.
    content += drawText(h, {
      kind: 'text',
      xMm: (w - footerWidth) / 2 / PT_PER_MM,
      yMm: model.heightMm - FOOTER_FROM_BOTTOM_MM,
      sizeMm: FOOTER_SIZE_MM,
      text: CONVENIENCE_NOTE,
      font: FOOTER_ROLE,
      color: FOOTER_COLOR,
    });
    const contents = file.add('/Filter/FlateDecode', deflateZlib(Buffer.from(content, 'latin1'), PART_LEVEL));
    kids.push(
      file.add(
        `/Type/Page/Parent ${pagesRef} 0 R/Resources ${resourcesRef} 0 R/MediaBox[0 0 ${n(w)} ${n(h)}]/Contents ${contents} 0 R`,
      ),
    );
  }
  // One resource dictionary shared by every page: the pages use the same fonts and most of the same images.
  const dict = (m: Map<string, number>) => [...m].map(([k, v]) => `/${k} ${v} 0 R`).join('');
  file.put(
    resourcesRef,
    '/ProcSet[/PDF/Text/ImageB/ImageC/ImageI]' +
      `/Font<<${dict(fontNames)}>>` +
      (imageRefs.size ? `/XObject<<${dict(imageRefs)}>>` : '') +
      (alphaStates.size
        ? `/ExtGState<<${[...alphaStates].map(([o, k]) => `/${k}<</Type/ExtGState/ca ${n(o)}/CA ${n(o)}>>`).join('')}>>`
        : ''),
  );
  file.put(pagesRef, `/Type/Pages/Kids[${kids.map((k) => `${k} 0 R`).join(' ')}]/Count ${kids.length}`);
  const catalog = file.add(
    `/Type/Catalog/Pages ${pagesRef} 0 R/ViewerPreferences<</DisplayDocTitle true>>/Lang(zh-CN)`,
  );
  const when = pdfDate(opts.createdAt ?? new Date());
  const infoDict =
    `/Title${textString(doc.title)}/Subject${textString(`${CONVENIENCE_NOTE} / ${CONVENIENCE_NOTE_EN}`)}` +
    `/Keywords${textString(
      Object.entries(doc.meta)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    )}/Creator(bdcert)/Producer(bdcert)/CreationDate${when}/ModDate${when}`;
  const info = file.add(infoDict);
  // §14.4: the file identifier, from what makes this document what it is (reproducible for the same input)
  const id = Buffer.from(sm3(infoDict, String(kids.length), doc.pages.map((p) => p.items.length).join(',')))
    .subarray(0, 16)
    .toString('hex');
  const out = file.finish(`/Root ${catalog} 0 R/Info ${info} 0 R/ID[<${id}><${id}>]`);
  sharePrefix(out, shared.prefix.digest);
  return out;
}
