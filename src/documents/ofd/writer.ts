import { strToU8, zipSync } from 'fflate';
import { advanceEm, fontChain, measureText, splitRuns, subsetFace } from '../fonts.js';
import type { DocumentModel, FontRole, ImageItem, PageItem, PathItem, Rgb, TextItem } from '../page-model.js';
import { esc, NS, n, XML_DECL } from './xml.js';

/**
 * OFD writer (GB/T 33190-2016) for our page model: OFD.xml with DocInfo and CustomDatas (the file carries its own
 * facts, standards.md §6), Document.xml, PublicRes (embedded TrueType subsets, harfbuzz — they keep the cmap so
 * readers can map text), DocumentRes (PNG images), one Content.xml per page with TextObject (DeltaX from the font's
 * advance widths, so every reader places each glyph where we measured it), PathObject and ImageObject.
 * Output is deterministic for the same model and options (fixed file order, fixed zip timestamps).
 */
export interface OfdOptions {
  /** DocID (a UUID without dashes is customary) — the certificate id makes it stable. */
  readonly docId: string;
  readonly creationDate: Date;
  readonly creator?: string;
  /** Adds `DocBody/Signatures` pointing at Doc_0/Signs/Signatures.xml (set by the sealer). */
  readonly signatures?: boolean;
}

export interface OfdPackage {
  /** Path (no leading slash) → bytes, in write order. */
  readonly files: Map<string, Uint8Array>;
  /** Object ID of each page (for StampAnnot PageRef). */
  readonly pageIds: readonly number[];
}

const ZIP_TIME = new Date('2020-01-01T00:00:00Z'); // fixed: the package bytes depend only on the content

const color = (c: Rgb) => c.map((v) => Math.round(v * 255)).join(' ');

export function ofdXml(title: string, meta: Readonly<Record<string, string>>, o: OfdOptions): string {
  const date = o.creationDate.toISOString().slice(0, 10);
  const custom = Object.entries(meta)
    .map(([k, v]) => `<ofd:CustomData Name="${esc(k)}">${esc(v)}</ofd:CustomData>`)
    .join('');
  return (
    `${XML_DECL}<ofd:OFD xmlns:ofd="${NS}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>` +
    `<ofd:DocID>${esc(o.docId)}</ofd:DocID><ofd:Title>${esc(title)}</ofd:Title><ofd:Author>${esc(meta.ZZBFJG ?? 'bdcert')}</ofd:Author>` +
    `<ofd:CreationDate>${date}</ofd:CreationDate><ofd:Creator>${esc(o.creator ?? 'bdcert')}</ofd:Creator><ofd:CreatorVersion>0.1.0</ofd:CreatorVersion>` +
    (custom ? `<ofd:CustomDatas>${custom}</ofd:CustomDatas>` : '') +
    `</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>` +
    (o.signatures ? '<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>' : '') +
    '</ofd:DocBody></ofd:OFD>'
  );
}

export async function buildOfdPackage(doc: DocumentModel, o: OfdOptions): Promise<OfdPackage> {
  let nextId = 1;
  const id = () => nextId++;
  // Fonts: one resource per (role, face) actually used, subset to the characters drawn with it.
  const used = new Map<string, { role: FontRole; face: number; chars: Set<string>; id: number }>();
  const images = new Map<Uint8Array, number>();
  for (const p of doc.pages) {
    for (const it of p.items) {
      if (it.kind === 'text') {
        for (const run of splitRuns(it.text, it.font)) {
          const key = `${it.font}|${run.face}`;
          let u = used.get(key);
          if (!u) {
            u = { role: it.font, face: run.face, chars: new Set(), id: 0 };
            used.set(key, u);
          }
          for (const ch of run.text) u.chars.add(ch);
        }
      } else if (it.kind === 'image' && !images.has(it.png)) {
        images.set(it.png, 0);
      }
    }
  }
  const files = new Map<string, Uint8Array>();
  const fontXml: string[] = [];
  for (const u of [...used.values()].sort((a, b) => `${a.role}${a.face}`.localeCompare(`${b.role}${b.face}`))) {
    u.id = id();
    const face = fontChain(u.role)[u.face]!;
    const ttf = await subsetFace(face, [...u.chars].join(''));
    files.set(`Doc_0/Res/font_${u.id}.ttf`, ttf);
    fontXml.push(
      `<ofd:Font ID="${u.id}" FontName="${esc(face.family)}" FamilyName="${esc(face.family)}"${u.role === 'serif-bold' ? ' Bold="true"' : ''}><ofd:FontFile>font_${u.id}.ttf</ofd:FontFile></ofd:Font>`,
    );
  }
  const mediaXml: string[] = [];
  for (const png of images.keys()) {
    const mid = id();
    images.set(png, mid);
    files.set(`Doc_0/Res/image_${mid}.png`, png);
    mediaXml.push(
      `<ofd:MultiMedia ID="${mid}" Type="Image" Format="PNG"><ofd:MediaFile>image_${mid}.png</ofd:MediaFile></ofd:MultiMedia>`,
    );
  }
  const pageIds: number[] = [];
  const pageFiles: [string, string][] = [];
  doc.pages.forEach((p, i) => {
    const pid = id();
    pageIds.push(pid);
    const layer = id();
    const objs = p.items.map((it) => item(it, id, used, images)).join('');
    pageFiles.push([
      `Doc_0/Pages/Page_${i}/Content.xml`,
      `${XML_DECL}<ofd:Page xmlns:ofd="${NS}"><ofd:Area><ofd:PhysicalBox>0 0 ${n(p.widthMm)} ${n(p.heightMm)}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="${layer}">${objs}</ofd:Layer></ofd:Content></ofd:Page>`,
    ]);
  });
  const first = doc.pages[0];
  const documentXml =
    `${XML_DECL}<ofd:Document xmlns:ofd="${NS}"><ofd:CommonData><ofd:MaxUnitID>${nextId}</ofd:MaxUnitID>` +
    `<ofd:PageArea><ofd:PhysicalBox>0 0 ${n(first?.widthMm ?? 210)} ${n(first?.heightMm ?? 297)}</ofd:PhysicalBox></ofd:PageArea>` +
    '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData><ofd:Pages>' +
    pageIds.map((pid, i) => `<ofd:Page ID="${pid}" BaseLoc="Pages/Page_${i}/Content.xml"/>`).join('') +
    '</ofd:Pages></ofd:Document>';
  const out = new Map<string, Uint8Array>();
  out.set('OFD.xml', strToU8(ofdXml(doc.title, doc.meta, o)));
  out.set('Doc_0/Document.xml', strToU8(documentXml));
  out.set(
    'Doc_0/PublicRes.xml',
    strToU8(`${XML_DECL}<ofd:Res xmlns:ofd="${NS}" BaseLoc="Res"><ofd:Fonts>${fontXml.join('')}</ofd:Fonts></ofd:Res>`),
  );
  out.set(
    'Doc_0/DocumentRes.xml',
    strToU8(
      `${XML_DECL}<ofd:Res xmlns:ofd="${NS}" BaseLoc="Res"><ofd:MultiMedias>${mediaXml.join('')}</ofd:MultiMedias></ofd:Res>`,
    ),
  );
  for (const [path, xml] of pageFiles) out.set(path, strToU8(xml));
  for (const [path, bytes] of files) out.set(path, bytes);
  return { files: out, pageIds };
}

function item(
  it: PageItem,
  id: () => number,
  used: Map<string, { id: number }>,
  images: Map<Uint8Array, number>,
): string {
  if (it.kind === 'text') return textObjects(it, id, used);
  if (it.kind === 'path') return pathObject(it, id());
  return imageObject(it, id(), images.get(it.png)!);
}

function textObjects(t: TextItem, id: () => number, used: Map<string, { id: number }>): string {
  let x = t.xMm;
  let out = '';
  const alpha = t.opacity !== undefined && t.opacity < 1 ? ` Alpha="${Math.round(t.opacity * 255)}"` : '';
  const fill = `<ofd:FillColor Value="${color(t.color ?? [0, 0, 0])}"/>`;
  for (const run of splitRuns(t.text, t.font)) {
    const fontId = used.get(`${t.font}|${run.face}`)!.id;
    const chars = [...run.text];
    const advances = chars.map((c) => advanceEm(c, t.font) * t.sizeMm);
    const w = measureText(run.text, t.font, t.sizeMm);
    const deltaX = advances.slice(0, -1).map(n).join(' ');
    if (t.rotateDeg) {
      // Rotation about the run's baseline origin through the object's CTM (GB/T 33190 §8.1: CTM maps object space).
      const r = (t.rotateDeg * Math.PI) / 180;
      const [c, s] = [Math.cos(r), Math.sin(r)];
      const box = t.sizeMm * 1.4 + w;
      out +=
        `<ofd:TextObject ID="${id()}" Boundary="${n(x - box)} ${n(t.yMm - box)} ${n(2 * box)} ${n(2 * box)}" Font="${fontId}" Size="${n(t.sizeMm)}"` +
        ` CTM="${n(c)} ${n(s)} ${n(-s)} ${n(c)} ${n(box)} ${n(box)}"${alpha}>${fill}` +
        `<ofd:TextCode X="0" Y="0"${deltaX ? ` DeltaX="${deltaX}"` : ''}>${escText(run.text)}</ofd:TextCode></ofd:TextObject>`;
    } else {
      const top = t.yMm - t.sizeMm;
      out +=
        `<ofd:TextObject ID="${id()}" Boundary="${n(x)} ${n(top)} ${n(Math.max(w, 0.1) + 0.5)} ${n(t.sizeMm * 1.4)}" Font="${fontId}" Size="${n(t.sizeMm)}"${alpha}>${fill}` +
        `<ofd:TextCode X="0" Y="${n(t.sizeMm)}"${deltaX ? ` DeltaX="${deltaX}"` : ''}>${escText(run.text)}</ofd:TextCode></ofd:TextObject>`;
    }
    x += w;
  }
  return out;
}

/** Spaces are significant in TextCode and must stay (xml:space is not used by OFD readers). */
function escText(s: string): string {
  return esc(s);
}

function pathObject(p: PathItem, oid: number): string {
  const xs = p.points.map((q) => q[0]);
  const ys = p.points.map((q) => q[1]);
  const lw = p.strokeMm ?? 0.3;
  const bx = Math.min(...xs) - lw;
  const by = Math.min(...ys) - lw;
  const bw = Math.max(...xs) - Math.min(...xs) + 2 * lw;
  const bh = Math.max(...ys) - Math.min(...ys) + 2 * lw;
  const d =
    p.points.map((q, i) => `${i === 0 ? 'M' : 'L'} ${n(q[0] - bx)} ${n(q[1] - by)}`).join(' ') + (p.closed ? ' C' : '');
  const stroke = p.stroke !== undefined;
  const fill = p.fill !== undefined;
  return (
    `<ofd:PathObject ID="${oid}" Boundary="${n(bx)} ${n(by)} ${n(bw)} ${n(bh)}" LineWidth="${n(lw)}" Stroke="${stroke}" Fill="${fill}">` +
    (fill ? `<ofd:FillColor Value="${color(p.fill!)}"/>` : '') +
    (stroke ? `<ofd:StrokeColor Value="${color(p.stroke!)}"/>` : '') +
    `<ofd:AbbreviatedData>${d}</ofd:AbbreviatedData></ofd:PathObject>`
  );
}

function imageObject(im: ImageItem, oid: number, resId: number): string {
  return `<ofd:ImageObject ID="${oid}" Boundary="${n(im.xMm)} ${n(im.yMm)} ${n(im.wMm)} ${n(im.hMm)}" CTM="${n(im.wMm)} 0 0 ${n(im.hMm)} 0 0" ResourceID="${resId}"/>`;
}

export function zipPackage(files: Map<string, Uint8Array>): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 | 6; mtime: Date }]> = {};
  for (const [path, bytes] of files) {
    // Fonts and PNGs are already compressed well enough; XML deflates ~5×.
    entries[path] = [bytes, { level: path.endsWith('.xml') ? 6 : 0, mtime: ZIP_TIME }];
  }
  return zipSync(entries);
}

export async function writeOfd(doc: DocumentModel, o: OfdOptions): Promise<Uint8Array> {
  const pkg = await buildOfdPackage(doc, o);
  return zipPackage(pkg.files);
}
