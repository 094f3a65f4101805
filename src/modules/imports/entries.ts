import { DomainError } from '../../domain/problem.js';
import type { AuditActor } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { type IssuanceDeps, payloadHash, recordEntry } from '../issuance/service.js';
import { parseEntryRow } from '../register/entry-table.js';
import * as registerRepo from '../register/repository.js';
import type { EntryOutcome } from '../register/tables.js';
import { openRejects, type RejectsWriter } from './rejects.js';
import { readTable } from './table-reader.js';
import type { ImportProblem } from './tables.js';

/**
 * Batch table import of register entries (issue 6 §1; Henan 三(一)3: entries arrive by interface in real time or, where
 * no interface exists, as tables at least twice a day). Each row goes through the same schema and the same
 * `recordEntry` as `POST /api/v1/register/entries`, so a row is idempotent on its 业务号: importing the same table
 * again changes nothing, and a run interrupted mid-file simply runs again — rows already recorded are replays, the
 * rest are recorded in file order, so numbers stay gap-free and nothing is recorded twice.
 *
 * Two streaming passes: every row is validated first (including a 业务号 already recorded with other content, and a
 * 业务号 repeated in the file with other content) and, unless `skipInvalid`, nothing is recorded from a file with an
 * error. With `skipInvalid` the valid rows are recorded and the rejected ones written to a rejects file in the input's
 * format.
 */
export interface EntryImportOptions {
  readonly agencyId: string;
  readonly skipInvalid: boolean;
  readonly rejectsPath?: string;
  readonly actor: AuditActor;
  /** Keep one result per recorded row (the HTTP batch answers with them). */
  readonly collectResults?: boolean;
  readonly onValidated?: (rows: number, bad: number, problems: readonly ImportProblem[]) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface EntryRowResult {
  readonly row: number;
  readonly businessNo: string;
  readonly entryId: string;
  readonly replayed: boolean;
  readonly outcome: EntryOutcome;
}

export interface EntryImportReport {
  readonly rows: number;
  readonly invalidRows: number;
  readonly problems: readonly ImportProblem[];
  readonly recorded: number;
  readonly replayed: number;
  readonly aborted: boolean;
  readonly rejectsPath?: string;
  readonly results?: readonly EntryRowResult[];
}

export async function importEntries(
  deps: IssuanceDeps,
  file: string,
  o: EntryImportOptions,
): Promise<EntryImportReport> {
  const db = deps.ctx.store.db;
  const agency = await catalogRepo.findAgency(db, o.agencyId);
  if (!agency) throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  const ctx = {
    agencyId: agency.id,
    agencyUscc: agency.uscc,
    ...(deps.codeTables ? { codeTables: deps.codeTables } : {}),
  };

  // Pass 1: validate everything; only problems and each 业务号's content hash are kept.
  const problems: ImportProblem[] = [];
  const badRows = new Set<number>();
  const inFile = new Map<string, { row: number; hash: string }>();
  let rows = 0;
  for await (const { row, values } of readTable(file)) {
    rows++;
    const r = parseEntryRow(row, values, ctx);
    if ('problems' in r) {
      problems.push(...r.problems);
      badRows.add(row);
      continue;
    }
    const { input } = r.ok;
    const hash = payloadHash(input);
    const first = inFile.get(input.businessNo);
    if (first && first.hash !== hash) {
      problems.push({
        row,
        field: 'businessNo（业务号）',
        code: 'BUSINESS_NO_DUPLICATE',
        message: `业务号 ${input.businessNo} 已在第${first.row}行出现且内容不同`,
        messageEn: `Business number ${input.businessNo} appears on row ${first.row} with other content`,
      });
      badRows.add(row);
      continue;
    }
    if (!first) inFile.set(input.businessNo, { row, hash });
    const existing = await registerRepo.findEntry(db, agency.id, input.businessNo);
    if (existing && existing.payload_sm3 !== hash) {
      problems.push({
        row,
        field: 'businessNo（业务号）',
        code: 'BUSINESS_NO_REUSED',
        message: `业务号 ${input.businessNo} 已登簿且内容不同，不能重复使用`,
        messageEn: `Business number ${input.businessNo} was recorded with different content`,
      });
      badRows.add(row);
    }
  }
  o.onValidated?.(rows, badRows.size, problems);
  if (badRows.size && !o.skipInvalid)
    return { rows, invalidRows: badRows.size, problems, recorded: 0, replayed: 0, aborted: true };

  // Pass 2: record the valid rows in file order. The rejects file is opened at the first rejected row.
  let rejects: RejectsWriter | undefined;
  const reject = async (row: number, ps: readonly ImportProblem[], values: Record<string, unknown>) => {
    if (!o.skipInvalid || !o.rejectsPath) return;
    rejects ??= await openRejects(o.rejectsPath, file);
    await rejects.write(row, ps, values);
  };
  const results: EntryRowResult[] = [];
  let recorded = 0;
  let replayed = 0;
  let done = 0;
  const total = rows - badRows.size;
  const byRow = (row: number) => problems.filter((p) => p.row === row);
  try {
    for await (const { row, values } of readTable(file)) {
      if (badRows.has(row)) {
        await reject(row, byRow(row), values);
        continue;
      }
      const r = parseEntryRow(row, values, ctx);
      if (!('ok' in r)) continue; // cannot happen: the row validated in pass 1
      let res: Awaited<ReturnType<typeof recordEntry>>;
      try {
        res = await recordEntry(deps, r.ok.input, o.actor, 'table-import');
      } catch (e) {
        // The register changed between the passes (the same 业务号 pushed through the API meanwhile): with
        // skip-invalid the row is rejected and the run goes on; otherwise the run stops here (rows recorded so far
        // stay, as a rerun would keep them) and the error says which row.
        if (!(e instanceof DomainError) || !o.skipInvalid) {
          if (e instanceof DomainError)
            throw new DomainError(
              e.code,
              `第${row}行：${e.message}`,
              `Row ${row}: ${e.messageEn}`,
              e.field,
              e.problems,
            );
          throw e;
        }
        const p: ImportProblem = {
          row,
          ...(e.field ? { field: e.field } : {}),
          code: e.code,
          message: e.message,
          messageEn: e.messageEn,
        };
        problems.push(p);
        badRows.add(row);
        await reject(row, [p], values);
        continue;
      }
      if (res.replayed) replayed++;
      else recorded++;
      if (o.collectResults)
        results.push({
          row,
          businessNo: r.ok.input.businessNo,
          entryId: res.entryId,
          replayed: res.replayed,
          outcome: res.outcome,
        });
      o.onProgress?.(++done, total);
    }
  } finally {
    await rejects?.close();
  }
  return {
    rows,
    invalidRows: badRows.size,
    problems,
    recorded,
    replayed,
    aborted: false,
    ...(rejects ? { rejectsPath: (rejects as RejectsWriter).path } : {}),
    ...(o.collectResults ? { results } : {}),
  };
}
