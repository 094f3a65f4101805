import { createHash } from 'node:crypto';
import type { CertificateKind } from '../../domain/catalog.js';
import { checkCertificateNumber } from '../../domain/certificate-number.js';
import type { CodeTables } from '../../domain/codes/override.js';
import { type FaceInput, validateFace } from '../../domain/face-data.js';
import { chineseNameOf, fromChineseRecord, kindFromName } from '../../domain/field-names.js';
import { checkIdentifier } from '../../domain/identifier.js';
import type { Problem } from '../../domain/problem.js';
import type { AuditActor } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { type IssuanceDeps, recordEntry, recordStockEntries, type StockEntry } from '../issuance/service.js';
import { openRejects } from './rejects.js';
import { readTable } from './table-reader.js';

/**
 * Historical stock import (Henan 三(一)3: the stock since unified registration is collected and sealed in one pass;
 * Nanyang Art. 11). Two streaming passes over the file: every row is validated first and, unless `skipInvalid`,
 * nothing is imported from a file with errors. Each valid row becomes a register entry whose 业务号 is derived from
 * the certificate number, so an interrupted import simply runs again: rows already in are replays that change
 * nothing — no duplicates, no gaps.
 */
export interface RowProblem {
  readonly row: number;
  readonly field?: string;
  readonly code: string;
  readonly message: string;
  readonly messageEn: string;
}

export interface StockRow {
  readonly row: number;
  readonly face: FaceInput;
  readonly number: string;
  readonly identifier?: string;
  readonly raw: Record<string, unknown>;
}

export function parseStockRow(
  row: number,
  values: Record<string, unknown>,
  // The kind named for the whole file (issue 6 §4 “plus the agency and kind”) applies where a row has no 证照类型.
  o: { readonly defaultKind?: CertificateKind; readonly codeTables?: CodeTables } = {},
): { ok: StockRow } | { problems: RowProblem[] } {
  const named = String(values.证照类型 ?? values.kind ?? '').trim();
  const kind = named ? kindFromName(named) : o.defaultKind;
  if (!kind) {
    return {
      problems: [
        {
          row,
          field: '证照类型',
          code: 'KIND_UNKNOWN',
          message: '证照类型应为“不动产权证书”或“不动产登记证明”',
          messageEn: 'kind must be 不动产权证书 or 不动产登记证明',
        },
      ],
    };
  }
  const chinese = Object.keys(values).some((k) => /[\u4e00-\u9fa5]/.test(k));
  const record: Record<string, unknown> = chinese ? fromChineseRecord(kind, values).record : { ...values, kind };
  const numberField = kind === 'property-certificate' ? 'certificateNo' : 'proofNo';
  const number = String(record[numberField] ?? '');
  const identifier = record.identifier ? String(record.identifier) : undefined;
  const { certificateNo: _a, proofNo: _b, identifier: _c, infoQr: _d, queryQr: _e, ...input } = record;
  const checked = validateFace(input, { stage: 'input', ...(o.codeTables ? { codeTables: o.codeTables } : {}) });
  const problems: Problem[] = [...checked.problems.filter((p) => p.severity === 'error')];
  problems.push(
    ...(number
      ? checkCertificateNumber(number, numberField, kind)
      : [
          {
            code: 'NUMBER_REQUIRED',
            field: numberField,
            message: '存量证照须有证号',
            messageEn: 'a stock certificate needs its number',
            severity: 'error' as const,
          },
        ]),
  );
  if (identifier) problems.push(...checkIdentifier(identifier, 'identifier'));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length || !checked.ok) {
    return {
      problems: errors.map((p) => ({
        row,
        ...(p.field
          ? { field: `${p.field}${chineseNameOf(kind, p.field) ? `（${chineseNameOf(kind, p.field)}）` : ''}` }
          : {}),
        code: p.code,
        message: p.message,
        messageEn: p.messageEn,
      })),
    };
  }
  return { ok: { row, face: checked.value as FaceInput, number, ...(identifier ? { identifier } : {}), raw: values } };
}

export interface ImportOptions {
  readonly agencyId: string;
  readonly skipInvalid: boolean;
  /** Rejects file, written in the input's format (rejects.ts). */
  readonly rejectsPath?: string;
  readonly actor: AuditActor;
  /** Kind for rows without a 证照类型 column value. */
  readonly defaultKind?: CertificateKind;
  readonly onValidated?: (rows: number, bad: number, problems: readonly RowProblem[]) => void;
  readonly onProgress?: (done: number, total: number) => void;
  /** Rows recorded per transaction, with one statement per table (default 250). */
  readonly groupSize?: number;
}

export interface ImportReport {
  readonly rows: number;
  readonly invalidRows: number;
  readonly problems: readonly RowProblem[];
  readonly imported: number;
  readonly replayed: number;
  readonly aborted: boolean;
}

export async function importStock(deps: IssuanceDeps, file: string, o: ImportOptions): Promise<ImportReport> {
  const agency = await catalogRepo.findAgency(deps.ctx.store.db, o.agencyId);
  if (!agency) throw new Error(`agency ${o.agencyId} not found`);
  // Pass 1: validate everything (streaming; only problems are kept).
  const problems: RowProblem[] = [];
  const badRows = new Set<number>();
  let rows = 0;
  const parseOpts = {
    ...(o.defaultKind ? { defaultKind: o.defaultKind } : {}),
    ...(deps.codeTables ? { codeTables: deps.codeTables } : {}),
  };
  for await (const { row, values } of readTable(file)) {
    rows++;
    const r = parseStockRow(row, values, parseOpts);
    if ('problems' in r) {
      problems.push(...r.problems);
      badRows.add(row);
    } else if (r.ok.face.agencyCode !== agency.uscc) {
      problems.push({
        row,
        field: 'agencyCode（登记机构代码）',
        code: 'AGENCY_MISMATCH',
        message: '登记机构代码与导入机构不一致',
        messageEn: 'agency code differs from the importing agency',
      });
      badRows.add(row);
    }
  }
  o.onValidated?.(rows, badRows.size, problems);
  if (badRows.size && !o.skipInvalid)
    return { rows, invalidRows: badRows.size, problems, imported: 0, replayed: 0, aborted: true };
  // Pass 2: import the valid rows; write the rejects file when skipping.
  const rejects = o.skipInvalid && o.rejectsPath && badRows.size ? await openRejects(o.rejectsPath, file) : undefined;
  let imported = 0;
  let replayed = 0;
  let done = 0;
  const total = rows - badRows.size;
  const entryOf = (s: StockRow): StockEntry => ({
    input: {
      businessNo: `STOCK-${createHash('sm3').update(s.number).digest('hex').slice(0, 24).toUpperCase()}`,
      agencyId: agency.id,
      registrationType: '900' as const,
      recordedAt: `${s.face.registeredOn.slice(0, 4)}-${s.face.registeredOn.slice(4, 6)}-${s.face.registeredOn.slice(6, 8)}T00:00:00+08:00`,
      unitNo: s.face.unitNo,
      location: s.face.location,
      face: s.face,
    },
    stockNumber: s.number,
    ...(s.identifier ? { stockIdentifier: s.identifier } : {}),
  });
  // Rows are recorded `groupSize` to a transaction by the bulk path (recordStockEntries: one statement per table per
  // group, where recordEntry runs ~14 per row). A group that fails is rolled back and its rows recorded one by one
  // with recordEntry, so the row at fault fails alone exactly as without grouping; a re-run replays committed groups
  // (业务号), so an interrupted import neither duplicates nor skips a row.
  const groupSize = Math.max(1, o.groupSize ?? 250);
  let group: StockEntry[] = [];
  const count = (res: { replayed: boolean }) => {
    if (res.replayed) replayed++;
    else imported++;
    o.onProgress?.(++done, total);
  };
  const flush = async () => {
    const rowsOfGroup = group;
    group = [];
    if (rowsOfGroup.length === 0) return;
    let results: { replayed: boolean }[] | undefined;
    try {
      results = await recordStockEntries(deps, rowsOfGroup, o.actor);
    } catch {
      results = undefined;
    }
    if (results) for (const res of results) count(res);
    else
      for (const e of rowsOfGroup)
        count(
          await recordEntry(deps, e.input, o.actor, 'stock-import', {
            stockNumber: e.stockNumber,
            ...(e.stockIdentifier ? { stockIdentifier: e.stockIdentifier } : {}),
          }),
        );
  };
  for await (const { row, values } of readTable(file)) {
    if (badRows.has(row)) {
      await rejects?.write(
        row,
        problems.filter((p) => p.row === row),
        values,
      );
      continue;
    }
    const r = parseStockRow(row, values, parseOpts);
    if (!('ok' in r)) continue;
    group.push(entryOf(r.ok));
    if (group.length >= groupSize) await flush();
  }
  await flush();
  await rejects?.close();
  return { rows, invalidRows: badRows.size, problems, imported, replayed, aborted: false };
}
