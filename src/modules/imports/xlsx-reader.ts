import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

/**
 * Streams the rows of an XLSX file's first worksheet (ECMA-376 SpreadsheetML) as arrays of cell text, one per column
 * (A = 0), gaps filled with ''.
 *
 * Why not ExcelJS's streaming WorkbookReader, which this replaced: it reads the zip in one forward pass and, under
 * load, intermittently loses every entry after the first worksheet — the shared strings and workbook parts — so a
 * file reads as a crash ("Cannot read properties of undefined (reading 'sheets')", exceljs/exceljs#3064) or, worse,
 * with every text cell silently empty. It failed 2–3 reads in 1,000 on this machine, with files ExcelJS itself wrote
 * (our rejects files among them). Here the zip is opened through its central directory (yauzl), so every part is
 * found by name and read in the order the format needs (package → workbook → shared strings and styles → sheet), and
 * only the worksheet is streamed; memory is the shared-string table plus one chunk.
 *
 * Dates: a number in a cell whose number format is a date or time (built-in ids, or a custom code with y/m/d/h/s
 * outside quotes) is a date serial; it becomes `YYYYMMDD` (the notice's date form) or `YYYY-MM-DD HH:MM:SS` (wall-clock
 * time, as the clerk typed it) — so a date column formatted as a date in Excel imports like one typed as text.
 */
export async function* readXlsxRows(path: string): AsyncGenerator<string[]> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
  } catch (e) {
    throw corrupt(`${(e as Error).message}`);
  }
  let sheetStream: Readable | undefined;
  try {
    const entries = new Map<string, Entry>();
    for await (const e of zip.eachEntry()) entries.set(e.fileName.replace(/^\/+/, ''), e);
    const text = async (name: string): Promise<string | undefined> => {
      const e = entries.get(name);
      if (!e) return undefined;
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(e)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };

    // ECMA-376 Part 2 (OPC): the package relationships name the workbook part; its relationships name the rest.
    const workbookPath =
      relationships(await text('_rels/.rels'), '').find((r) => r.type.endsWith('/officeDocument'))?.target ??
      'xl/workbook.xml';
    const workbookXml = await text(workbookPath);
    if (workbookXml === undefined) throw corrupt(`no workbook part ${workbookPath}`);
    const wbDir = posix.dirname(workbookPath);
    const rels = relationships(await text(posix.join(wbDir, '_rels', `${posix.basename(workbookPath)}.rels`)), wbDir);
    const workbook = parseWorkbook(workbookXml);
    const sheetPath =
      rels.find((r) => r.id === workbook.firstSheetRelId)?.target ??
      rels.find((r) => r.type.endsWith('/worksheet'))?.target;
    const sheetEntry = sheetPath ? entries.get(sheetPath) : undefined;
    if (!sheetEntry) throw corrupt('no worksheet');
    const sharedPath = rels.find((r) => r.type.endsWith('/sharedStrings'))?.target;
    const shared = sharedPath && entries.has(sharedPath) ? parseSharedStrings((await text(sharedPath)) ?? '') : [];
    const stylesPath = rels.find((r) => r.type.endsWith('/styles'))?.target;
    const dateStyles = stylesPath ? parseDateStyles((await text(stylesPath)) ?? '') : new Set<number>();

    sheetStream = await zip.openReadStreamPromise(sheetEntry);
    const sheet = new SheetParser(shared, dateStyles, workbook.date1904);
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of sheetStream) {
      sheet.write(decoder.decode(chunk as Buffer, { stream: true }));
      yield* sheet.take();
    }
    sheet.write(decoder.decode());
    sheet.close();
    yield* sheet.take();
  } finally {
    sheetStream?.destroy();
    zip.close();
  }
}

function corrupt(detail: string): Error {
  return new Error(`XLSX 文件无法读取（${detail}）/ unreadable XLSX file (${detail})`);
}

/** Local name of an element or attribute: producers differ in prefixes (`x:row`, `r:id`). */
const local = (name: string) => name.slice(name.indexOf(':') + 1);

function parseXml(
  xml: string,
  onOpen: (tag: SaxesTagPlain) => void,
  onText?: (t: string) => void,
  onClose?: (tag: SaxesTagPlain) => void,
): void {
  const p = new SaxesParser();
  p.on('error', (e) => {
    throw corrupt(e.message);
  });
  p.on('opentag', onOpen);
  if (onText) p.on('text', onText);
  if (onClose) p.on('closetag', onClose);
  p.write(xml).close();
}

/** The relationship id of a `<sheet>`: the namespaced `r:id`, not the plain `sheetId`. */
function relId(tag: SaxesTagPlain): string | undefined {
  return Object.entries(tag.attributes).find(([k]) => k.includes(':') && local(k) === 'id')?.[1];
}

interface Relationship {
  readonly id: string;
  readonly type: string;
  readonly target: string;
}

function relationships(xml: string | undefined, baseDir: string): Relationship[] {
  if (!xml) return [];
  const out: Relationship[] = [];
  parseXml(xml, (t) => {
    if (local(t.name) !== 'Relationship') return;
    const target = t.attributes.Target ?? '';
    out.push({
      id: t.attributes.Id ?? '',
      type: t.attributes.Type ?? '',
      target: target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(baseDir, target)),
    });
  });
  return out;
}

function parseWorkbook(xml: string): { firstSheetRelId?: string; date1904: boolean } {
  let firstSheetRelId: string | undefined;
  let date1904 = false;
  parseXml(xml, (t) => {
    const n = local(t.name);
    if (n === 'workbookPr') date1904 = ['1', 'true'].includes(t.attributes.date1904 ?? '');
    else if (n === 'sheet' && firstSheetRelId === undefined) firstSheetRelId = relId(t);
  });
  return { ...(firstSheetRelId ? { firstSheetRelId } : {}), date1904 };
}

/** Each `<si>` is one string: its `<t>` runs joined, phonetic guides (`<rPh>`) left out. */
function parseSharedStrings(xml: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inT = false;
  let inPhonetic = false;
  parseXml(
    xml,
    (t) => {
      const n = local(t.name);
      if (n === 'si') cur = '';
      else if (n === 't') inT = true;
      else if (n === 'rPh') inPhonetic = true;
    },
    (s) => {
      if (inT && !inPhonetic) cur += s;
    },
    (t) => {
      const n = local(t.name);
      if (n === 't') inT = false;
      else if (n === 'rPh') inPhonetic = false;
      else if (n === 'si') out.push(cur);
    },
  );
  return out;
}

// ECMA-376 Part 1 §18.8.30: built-in number formats that are dates or times (14–22, 45–47), and the East Asian
// date formats Excel uses in a Chinese locale (27–36, 50–58).
const BUILTIN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56,
  57, 58,
]);

export function isDateFormatCode(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '')
    .split(';')[0]!;
  return /[ymdhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** The cell style indexes (`s`) whose number format is a date or time. */
function parseDateStyles(xml: string): Set<number> {
  const custom = new Map<number, string>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  parseXml(
    xml,
    (t) => {
      const n = local(t.name);
      if (n === 'numFmt') custom.set(Number(t.attributes.numFmtId), t.attributes.formatCode ?? '');
      else if (n === 'cellXfs') inCellXfs = true;
      else if (n === 'xf' && inCellXfs) xfFormats.push(Number(t.attributes.numFmtId ?? 0));
    },
    undefined,
    (t) => {
      if (local(t.name) === 'cellXfs') inCellXfs = false;
    },
  );
  const out = new Set<number>();
  xfFormats.forEach((id, i) => {
    const code = custom.get(id);
    if (code !== undefined ? isDateFormatCode(code) : BUILTIN_DATE_FORMATS.has(id)) out.add(i);
  });
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A date serial as `YYYYMMDD`, or `YYYY-MM-DD HH:MM:SS` when it has a time of day (wall-clock, no zone). */
export function serialToText(serial: number, date1904: boolean): string {
  let days = Math.floor(serial);
  const seconds = Math.round((serial - days) * 86400);
  // Excel's 1900 system counts a 29 February 1900 that never was (serial 60); serials before it are a day early
  // against the 1899-12-30 epoch.
  if (!date1904 && days < 61) days += 1;
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30);
  const d = new Date(epoch + days * 86_400_000 + seconds * 1000);
  const ymd = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  if (seconds === 0) return ymd;
  return `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `AB12` → 27 (zero-based column); undefined without letters. */
function columnOf(ref: string | undefined): number | undefined {
  if (!ref) return undefined;
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) col = col * 26 + (c - 64);
    else if (c >= 97 && c <= 122) col = col * 26 + (c - 96);
    else break;
  }
  return i ? col - 1 : undefined;
}

/** Incremental `<sheetData>` parser: complete rows queue up as chunks arrive. */
class SheetParser {
  private readonly p = new SaxesParser();
  private ready: string[][] = [];
  private row: string[] | undefined;
  private col = -1;
  private type = 'n';
  private style = 0;
  private value = '';
  private inline = '';
  private inV = false;
  private inInlineT = false;

  constructor(
    private readonly shared: readonly string[],
    private readonly dateStyles: ReadonlySet<number>,
    private readonly date1904: boolean,
  ) {
    this.p.on('error', (e) => {
      throw corrupt(e.message);
    });
    this.p.on('opentag', (t) => {
      switch (local(t.name)) {
        case 'row':
          this.row = [];
          this.col = -1;
          break;
        case 'c':
          this.col = columnOf(t.attributes.r) ?? this.col + 1;
          this.type = t.attributes.t ?? 'n';
          this.style = Number(t.attributes.s ?? 0);
          this.value = '';
          this.inline = '';
          break;
        case 'v':
          this.inV = true;
          break;
        case 't':
          this.inInlineT = true;
          break;
      }
    });
    this.p.on('text', (s) => {
      if (this.inV) this.value += s;
      else if (this.inInlineT) this.inline += s;
    });
    this.p.on('closetag', (t) => {
      switch (local(t.name)) {
        case 'v':
          this.inV = false;
          break;
        case 't':
          this.inInlineT = false;
          break;
        case 'c':
          if (this.row) {
            while (this.row.length < this.col) this.row.push('');
            this.row[this.col] = this.cellText();
          }
          break;
        case 'row':
          if (this.row) this.ready.push(this.row);
          this.row = undefined;
          break;
      }
    });
  }

  private cellText(): string {
    switch (this.type) {
      case 's':
        return this.shared[Number(this.value)] ?? '';
      case 'inlineStr':
        return this.inline;
      case 'b':
        return this.value === '1' ? 'TRUE' : 'FALSE';
      case 'n': {
        const n = Number(this.value);
        if (this.value !== '' && Number.isFinite(n) && this.dateStyles.has(this.style))
          return serialToText(n, this.date1904);
        return this.value;
      }
      default: // str (formula result), e (error), d (ISO date)
        return this.value;
    }
  }

  write(s: string): void {
    if (s) this.p.write(s);
  }

  close(): void {
    this.p.close();
  }

  take(): string[][] {
    const out = this.ready;
    this.ready = [];
    return out;
  }
}
