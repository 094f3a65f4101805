import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';

/**
 * Streams the rows of a face-data table: CSV (UTF-8, optional BOM), XLSX (first worksheet) or JSON (an array, or one
 * object per line). Each row is a record keyed by the header row (the notice's Chinese item names), with its 1-based
 * data row number, so every problem can be reported as "row N, field F". Memory stays flat in the file size for CSV,
 * XLSX and JSON lines.
 */
export interface TableRow {
  readonly row: number;
  readonly values: Record<string, unknown>;
}

export type TableFormat = 'csv' | 'xlsx' | 'json';

export function formatOf(path: string): TableFormat {
  const e = extname(path).toLowerCase();
  if (e === '.csv' || e === '.txt') return 'csv';
  if (e === '.xlsx') return 'xlsx';
  if (e === '.json' || e === '.jsonl' || e === '.ndjson') return 'json';
  throw new Error(`不支持的文件类型 ${e}（支持 CSV、XLSX、JSON）/ unsupported file type ${e} (CSV, XLSX, JSON)`);
}

export async function* readTable(path: string, format: TableFormat = formatOf(path)): AsyncGenerator<TableRow> {
  if (format === 'csv') {
    const parser = createReadStream(path).pipe(
      parse({
        columns: (h: string[]) => h.map((x) => x.trim()),
        bom: true,
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
      }),
    );
    let row = 0;
    for await (const rec of parser) yield { row: ++row, values: rec as Record<string, unknown> };
    return;
  }
  if (format === 'xlsx') {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'ignore',
      hyperlinks: 'ignore',
    });
    let headers: string[] | undefined;
    let row = 0;
    for await (const sheet of reader) {
      for await (const r of sheet as AsyncIterable<ExcelJS.Row>) {
        const cells = (r.values as unknown[]).slice(1).map(cellText);
        if (!headers) {
          headers = cells.map((c) => c.trim());
          continue;
        }
        if (cells.every((c) => c === '')) continue;
        yield { row: ++row, values: Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? ''])) };
      }
      break; // first worksheet only
    }
    return;
  }
  const text = await readFile(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    const arr = JSON.parse(trimmed) as unknown;
    if (!Array.isArray(arr)) throw new Error('JSON: expected an array of records');
    let row = 0;
    for (const rec of arr) yield { row: ++row, values: rec as Record<string, unknown> };
  } else {
    let row = 0;
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      yield { row: ++row, values: JSON.parse(line) as Record<string, unknown> };
    }
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10).replace(/-/g, '');
  if (typeof v === 'object') {
    const o = v as { text?: string; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((t) => t.text).join('');
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return String(o.result);
    return '';
  }
  return String(v).trim();
}
