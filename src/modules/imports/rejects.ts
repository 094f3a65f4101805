import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { formatOf, type TableFormat } from './table-reader.js';
import { readXlsxRows } from './xlsx-reader.js';

/**
 * The rejects file of an import run with skip-invalid (issue 6 §4): the rejected rows in the input's own format, so
 * the data preparer fixes them in the tool they came from and imports the file again. CSV and XLSX keep the input's
 * columns and add two in front, 行号 (the row in the input) and 错误 (every problem of the row); JSON keeps each record
 * as it was with `_row` and `_problems` added (an array stays an array, JSON lines stay lines). The importers ignore
 * these added columns, so a corrected rejects file imports as it is.
 */
export interface RejectProblem {
  readonly field?: string;
  readonly code: string;
  readonly message: string;
  readonly messageEn: string;
}

export interface RejectsWriter {
  readonly path: string;
  readonly format: TableFormat;
  write(row: number, problems: readonly RejectProblem[], values: Readonly<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

/** Columns the rejects file adds; importers skip them. */
export const REJECT_COLUMNS = ['行号', '错误', '_row', '_problems'] as const;

const EXT: Record<TableFormat, string> = { csv: '.csv', xlsx: '.xlsx', json: '.json' };

/** `stock.csv` → `stock.rejects.csv` beside it (JSON lines keep their extension). */
export function defaultRejectsPath(input: string): string {
  const ext = extname(input);
  const fmt = formatOf(input);
  const keep = fmt === 'json' && ext.toLowerCase() !== '.json' ? ext : EXT[fmt];
  return join(dirname(input), `${basename(input, ext)}.rejects${keep}`);
}

/** A rejects path whose extension names another format than the input's is refused before any work is done. */
export function rejectsPathProblem(input: string, rejects: string): string | undefined {
  let fmt: TableFormat | undefined;
  try {
    fmt = formatOf(rejects);
  } catch {
    fmt = undefined;
  }
  const want = formatOf(input);
  if (fmt === want) return undefined;
  return `拒绝文件须与输入文件格式相同（${want.toUpperCase()}）：${rejects} / the rejects file must be in the input's format (${want}), e.g. ${defaultRejectsPath(input)}`;
}

const problemText = (ps: readonly RejectProblem[]) =>
  ps.map((p) => `${p.field ?? '-'} ${p.code} ${p.message} / ${p.messageEn}`).join('；');

async function jsonShape(input: string): Promise<'array' | 'lines'> {
  const fh = await open(input, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('[')
      ? 'array'
      : 'lines';
  } finally {
    await fh.close();
  }
}

async function csvHeaders(input: string): Promise<string[]> {
  const parser = createReadStream(input).pipe(parse({ bom: true, to_line: 1, relax_column_count: true }));
  for await (const rec of parser) return (rec as string[]).map((h) => h.trim());
  return [];
}

async function xlsxHeaders(input: string): Promise<string[]> {
  for await (const r of readXlsxRows(input)) return r.map((v) => v.trim());
  return [];
}

const end = (s: WriteStream) => new Promise<void>((res, rej) => s.end((e?: Error | null) => (e ? rej(e) : res())));
const put = async (s: WriteStream, text: string) => {
  if (!s.write(text)) await new Promise<void>((r) => s.once('drain', () => r()));
};

const csvCell = (v: unknown) => {
  const t = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/** Opens a rejects writer for rows of `input` (its format and, for tables, its header row). */
export async function openRejects(path: string, input: string): Promise<RejectsWriter> {
  const format = formatOf(input);
  if (format === 'csv') {
    const headers = (await csvHeaders(input)).filter((h) => !(REJECT_COLUMNS as readonly string[]).includes(h));
    const out = createWriteStream(path);
    // A BOM so spreadsheet programs read the Chinese headers as UTF-8.
    await put(out, `\uFEFF${['行号', '错误', ...headers].map(csvCell).join(',')}\r\n`);
    return {
      path,
      format,
      write: (row, problems, values) =>
        put(out, `${[row, problemText(problems), ...headers.map((h) => values[h])].map(csvCell).join(',')}\r\n`),
      close: () => end(out),
    };
  }
  if (format === 'xlsx') {
    const headers = (await xlsxHeaders(input)).filter((h) => !(REJECT_COLUMNS as readonly string[]).includes(h));
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
    const ws = wb.addWorksheet('拒绝 rejects');
    ws.addRow(['行号', '错误', ...headers]).commit();
    return {
      path,
      format,
      async write(row, problems, values) {
        ws.addRow([
          row,
          problemText(problems),
          ...headers.map((h) => (values[h] === undefined ? '' : values[h])),
        ]).commit();
      },
      async close() {
        ws.commit();
        await wb.commit();
      },
    };
  }
  const shape = await jsonShape(input);
  const out = createWriteStream(path);
  let first = true;
  if (shape === 'array') await put(out, '[\n');
  return {
    path,
    format,
    async write(row, problems, values) {
      const rec = { ...values, _row: row, _problems: problems };
      if (shape === 'lines') return put(out, `${JSON.stringify(rec)}\n`);
      await put(out, `${first ? '' : ',\n'}${JSON.stringify(rec)}`);
      first = false;
    },
    async close() {
      if (shape === 'array') await put(out, '\n]\n');
      await end(out);
    },
  };
}
