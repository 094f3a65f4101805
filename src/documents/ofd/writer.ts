import { crc32 } from 'node:zlib';
import { deflateRaw, PART_LEVEL } from '../deflate.js';
import { identityOf, isShared, type SharedPrefix, sharedPrefix, sharePrefix } from '../digests.js';
import { advanceEm, type CommonSubset, commonSubset, fontChain, runsBy, splitRuns, subsetFace } from '../fonts.js';
import type { DocumentModel, FontRole, ImageItem, PageItem, PathItem, Rgb, TextItem } from '../page-model.js';
import { esc, NS, n, utf8, XML_DECL } from './xml.js';

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
  /**
   * Characters a role's embedded subset carries beyond those drawn — the PDF copy's footer — so that the OFD and the
   * PDF of one certificate are served by the same subsets (made once, fonts.ts caches them by content). Where the
   * document has common characters for the role (DocumentModel.commonChars), these join them.
   */
  readonly extraChars?: Partial<Record<FontRole, string>>;
}

export interface OfdPackage {
  /** Path (no leading slash) → bytes, in write order. */
  readonly files: Map<string, Uint8Array>;
  /** Object ID of each page (for StampAnnot PageRef). */
  readonly pageIds: readonly number[];
}

// Fixed zip timestamp (MS-DOS format, 2020-01-01 00:00): the package bytes depend only on the content.
const ZIP_DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;
const ZIP_DOS_TIME = 0;

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

/** A font resource: the role's common subset (part 'c') or the per-document subset of one face of its chain ('v'). */
interface FontUse {
  readonly role: FontRole;
  readonly face: number;
  readonly part: 'c' | 'v';
  readonly chars: Set<string>;
  id: number;
}
type Commons = ReadonlyMap<FontRole, CommonSubset>;
type FontRun = { key: string; face: number; text: string };
/** Each text item's runs, made once: the resource pass and the page pass both need them. */
type RunsOf = Map<TextItem, FontRun[]>;

/** Runs of one font resource each: the chain's faces (fallbacks), the primary face split into common and own. */
function fontRuns(text: string, role: FontRole, commons: Commons): FontRun[] {
  const common = commons.get(role);
  const out: FontRun[] = [];
  // neighbouring runs of one resource join (a fallback-face run between them does not)
  const push = (key: string, text: string) => {
    const last = out[out.length - 1];
    if (last && last.key === key) last.text += text;
    else out.push({ key, face: 0, text });
  };
  for (const run of splitRuns(text, role)) {
    if (run.face !== 0 || !common) {
      out.push({ key: `${role}|${run.face}|v`, face: run.face, text: run.text });
      continue;
    }
    // split where a character leaves or enters the common subset
    const keyC = `${role}|0|c`;
    const keyV = `${role}|0|v`;
    for (const part of runsBy(run.text, (cp) => (common.codePoints.has(cp) ? keyC : keyV))) push(part.key, part.text);
  }
  return out;
}

export async function buildOfdPackage(doc: DocumentModel, o: OfdOptions): Promise<OfdPackage> {
  let nextId = 1;
  const id = () => nextId++;
  const commons = new Map<FontRole, CommonSubset>();
  for (const [role, chars] of Object.entries(doc.commonChars ?? {}) as [FontRole, string][]) {
    commons.set(role, commonSubset(role, chars + (o.extraChars?.[role] ?? '')));
  }
  // Fonts: one resource per (role, face, part) actually used, subset to the characters drawn with it.
  const used = new Map<string, FontUse>();
  const images = new Map<Uint8Array, number>();
  const runsOf: RunsOf = new Map();
  for (const p of doc.pages) {
    for (const it of p.items) {
      if (it.kind === 'text') {
        const runs = fontRuns(it.text, it.font, commons);
        runsOf.set(it, runs);
        for (const run of runs) {
          let u = used.get(run.key);
          if (!u) {
            u = { role: it.font, face: run.face, part: run.key.endsWith('c') ? 'c' : 'v', chars: new Set(), id: 0 };
            used.set(run.key, u);
          }
          for (const ch of run.text) u.chars.add(ch);
        }
      } else if (it.kind === 'image' && !images.has(it.png)) {
        images.set(it.png, 0);
      }
    }
  }
  for (const [role, extra] of Object.entries(o.extraChars ?? {}) as [FontRole, string][]) {
    for (const run of fontRuns(extra, role, commons)) {
      const u = used.get(run.key);
      // only faces the document draws with: an extra character never adds a font of its own
      if (u) for (const ch of run.text) u.chars.add(ch);
    }
  }
  const files = new Map<string, Uint8Array>();
  const fontXml: string[] = [];
  const order = (u: FontUse) => `${u.role}${u.face}${u.part}`;
  for (const u of [...used.values()].sort((a, b) => order(a).localeCompare(order(b)))) {
    u.id = id();
    const face = fontChain(u.role)[u.face]!;
    const ttf = u.part === 'c' ? commons.get(u.role)!.ttf : subsetFace(face, [...u.chars].join(''));
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
    const objs = p.items.map((it) => item(it, id, used, images, runsOf)).join('');
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
  out.set('OFD.xml', utf8(ofdXml(doc.title, doc.meta, o)));
  out.set('Doc_0/Document.xml', utf8(documentXml));
  out.set(
    'Doc_0/PublicRes.xml',
    utf8(`${XML_DECL}<ofd:Res xmlns:ofd="${NS}" BaseLoc="Res"><ofd:Fonts>${fontXml.join('')}</ofd:Fonts></ofd:Res>`),
  );
  out.set(
    'Doc_0/DocumentRes.xml',
    utf8(
      `${XML_DECL}<ofd:Res xmlns:ofd="${NS}" BaseLoc="Res"><ofd:MultiMedias>${mediaXml.join('')}</ofd:MultiMedias></ofd:Res>`,
    ),
  );
  for (const [path, xml] of pageFiles) out.set(path, utf8(xml));
  for (const [path, bytes] of files) out.set(path, bytes);
  return { files: out, pageIds };
}

function item(
  it: PageItem,
  id: () => number,
  used: Map<string, { id: number }>,
  images: Map<Uint8Array, number>,
  runsOf: RunsOf,
): string {
  if (it.kind === 'text') return textObjects(it, id, used, runsOf.get(it)!);
  if (it.kind === 'path') return pathObject(it, id());
  return imageObject(it, id(), images.get(it.png)!);
}

/**
 * DeltaX with GB/T 33190 §11.3's abbreviation: `g N d` is N offsets of d. Most neighbouring CJK characters have the
 * same advance, so a line's offsets are a few groups instead of one number per character.
 */
function deltaX(advances: readonly number[]): string {
  const parts: string[] = [];
  const last = advances.length - 1; // the last character has no offset after it
  for (let i = 0; i < last; ) {
    const v = Math.round(advances[i]! * 1000);
    let j = i + 1;
    while (j < last && Math.round(advances[j]! * 1000) === v) j++;
    parts.push(j - i > 1 ? `g ${j - i} ${n(advances[i]!)}` : n(advances[i]!));
    i = j;
  }
  return parts.join(' ');
}

function textObjects(t: TextItem, id: () => number, used: Map<string, { id: number }>, runs: FontRun[]): string {
  let x = t.xMm;
  let out = '';
  const alpha = t.opacity !== undefined && t.opacity < 1 ? ` Alpha="${Math.round(t.opacity * 255)}"` : '';
  const fill = `<ofd:FillColor Value="${color(t.color ?? [0, 0, 0])}"/>`;
  for (const run of runs) {
    const fontId = used.get(run.key)!.id;
    const advances: number[] = [];
    let w = 0;
    for (const c of run.text) {
      const a = advanceEm(c, t.font) * t.sizeMm;
      advances.push(a);
      w += a;
    }
    const dx = deltaX(advances);
    if (t.rotateDeg) {
      // Rotation about the run's baseline origin through the object's CTM (GB/T 33190 §8.1: CTM maps object space).
      const r = (t.rotateDeg * Math.PI) / 180;
      const [c, s] = [Math.cos(r), Math.sin(r)];
      const box = t.sizeMm * 1.4 + w;
      out +=
        `<ofd:TextObject ID="${id()}" Boundary="${n(x - box)} ${n(t.yMm - box)} ${n(2 * box)} ${n(2 * box)}" Font="${fontId}" Size="${n(t.sizeMm)}"` +
        ` CTM="${n(c)} ${n(s)} ${n(-s)} ${n(c)} ${n(box)} ${n(box)}"${alpha}>${fill}` +
        `<ofd:TextCode X="0" Y="0"${dx ? ` DeltaX="${dx}"` : ''}>${escText(run.text)}</ofd:TextCode></ofd:TextObject>`;
    } else {
      const top = t.yMm - t.sizeMm;
      out +=
        `<ofd:TextObject ID="${id()}" Boundary="${n(x)} ${n(top)} ${n(Math.max(w, 0.1) + 0.5)} ${n(t.sizeMm * 1.4)}" Font="${fontId}" Size="${n(t.sizeMm)}"${alpha}>${fill}` +
        `<ofd:TextCode X="0" Y="${n(t.sizeMm)}"${dx ? ` DeltaX="${dx}"` : ''}>${escText(run.text)}</ofd:TextCode></ofd:TextObject>`;
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

/** XML parts below this size are stored: each deflate call has a fixed set-up cost that a few hundred bytes do not repay. */
const DEFLATE_FROM = 1024;

/** CRC-32 of shared bytes (the SESeal, common font subsets, the registration mark), computed once per object. */
const sharedCrcs = new WeakMap<Uint8Array, number>();
const crcOf = (bytes: Uint8Array): number => {
  if (!isShared(bytes)) return crc32(bytes);
  let c = sharedCrcs.get(bytes);
  if (c === undefined) {
    c = crc32(bytes);
    sharedCrcs.set(bytes, c);
  }
  return c;
};
/** The SM3 state after the shared entries, by their names and identities (digests.ts). */
const prefixes = new Map<string, SharedPrefix>();
const PREFIXES = 16;

/**
 * The package as a zip: XML parts deflated (zlib level 3, deflate.ts; ~5× smaller), fonts and PNGs stored — they are already
 * compressed (PNG) or cost more CPU to deflate than the bytes are worth (subset TTFs shrink by a third). Written
 * here with node:zlib rather than fflate: the native deflate and CRC-32 are 4–5× faster, and the format is small
 * (local headers, central directory, end record; no zip64 — a certificate is far below 4 GB). Fixed timestamps and
 * file order make the bytes depend only on the content.
 *
 * Shared files (digests.ts: the SESeal, the layout's common font subsets, the registration mark) come first, in the
 * order given, and everything else after them in the order given: zip readers go by the central directory, so the
 * order is free, and this way every package of one layout and seal begins with the same bytes, whose SM3 state is
 * kept for the package's digest.
 */
/** Time spent in zipPackage on this thread (bench/documents prints it as the zip share of sealing). */
export const zipTiming = { ms: 0 };

export function zipPackage(files: Map<string, Uint8Array>): Uint8Array {
  const t0 = performance.now();
  try {
    return zipFiles(files);
  } finally {
    zipTiming.ms += performance.now() - t0;
  }
}

function zipFiles(files: Map<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const all = [...files];
  const first = ([path, bytes]: [string, Uint8Array]) => isShared(bytes) && !path.endsWith('.xml');
  const shared = all.filter(first);
  const ordered = shared.length ? [...shared, ...all.filter((e) => !first(e))] : all;
  let offset = 0;
  let prefixLength = 0;
  for (const [index, [path, bytes]] of ordered.entries()) {
    const name = enc.encode(path);
    const deflate = path.endsWith('.xml') && bytes.length >= DEFLATE_FROM;
    const data = deflate ? deflateRaw(bytes, PART_LEVEL) : bytes;
    const crc = crcOf(bytes);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    lv.setUint16(6, 0x0800, true); // names are UTF-8
    lv.setUint16(8, deflate ? 8 : 0, true);
    lv.setUint16(10, ZIP_DOS_TIME, true);
    lv.setUint16(12, ZIP_DOS_DATE, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, bytes.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); // made by: 2.0, MS-DOS attributes
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, deflate ? 8 : 0, true);
    cv.setUint16(12, ZIP_DOS_TIME, true);
    cv.setUint16(14, ZIP_DOS_DATE, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, bytes.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    entry.set(name, 46);
    parts.push(local, data);
    central.push(entry);
    offset += local.length + data.length;
    if (index === shared.length - 1) prefixLength = offset;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.size, true);
  ev.setUint16(10, files.size, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let o = 0;
  for (const p of [...parts, ...central, end]) {
    out.set(p, o);
    o += p.length;
  }
  if (prefixLength > 0) {
    const key = shared.map(([path, bytes]) => `${path}:${identityOf(bytes)}`).join('|');
    let prefix = prefixes.get(key);
    if (!prefix) {
      prefix = sharedPrefix(out.subarray(0, prefixLength));
      if (prefixes.size >= PREFIXES) prefixes.delete(prefixes.keys().next().value!);
      prefixes.set(key, prefix);
    }
    sharePrefix(out, prefix);
  }
  return out;
}

export async function writeOfd(doc: DocumentModel, o: OfdOptions): Promise<Uint8Array> {
  const pkg = await buildOfdPackage(doc, o);
  return zipPackage(pkg.files);
}
