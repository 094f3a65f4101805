import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { readXlsxRows } from './xlsx-reader.js';

/**
 * Streams the rows of a face-data table: CSV (UTF-8, optional BOM), XLSX (first worksheet, read by ./xlsx-reader) or
 * JSON (an array, or one object per line). Each row is a record keyed by the header row (the notice's Chinese item
 * names), with its 1-based data row number, so every problem can be reported as "row N, field F". Memory stays flat in the file size for CSV,
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
    let headers: string[] | undefined;
    let row = 0;
    for await (const raw of readXlsxRows(path)) {
      const cells = raw.map((c) => c.trim());
      if (!headers) {
        headers = cells;
        continue;
      }
      if (cells.every((c) => c === '')) continue;
      yield { row: ++row, values: Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? ''])) };
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
