import type { CertificateKind } from '../../domain/catalog.js';
import type { CodeTables } from '../../domain/codes/override.js';
import { codeOf, REGISTRATION_TYPES, SEIZURE_TYPES } from '../../domain/codes/tables.js';
import { decideDocument } from '../../domain/document-decision.js';
import { validateFace } from '../../domain/face-data.js';
import { chineseNameOf, fieldsOf, fromChineseRecord, kindFromName } from '../../domain/field-names.js';
import { type Problem, problem } from '../../domain/problem.js';
import { zodIssuesToProblems } from '../../domain/zod-problems.js';
import { REJECT_COLUMNS } from '../imports/rejects.js';
import type { ImportProblem } from '../imports/tables.js';
import { entryProblems, factsOf } from '../issuance/service.js';
import { RegisterEntryInput } from './entry-schema.js';

/**
 * A register entry as a table row (Henan 三(一)3: where no real-time interface exists, new entries arrive as tables at
 * least twice a day). The face data columns are the notice's 附件2 item names (field-names.ts) with 证照类型; the
 * entry's own items, which 附件2 does not list, have the Chinese names below. 不动产单元号 and 坐落 serve both the entry
 * and its face data. JSON rows may instead be shaped exactly as `POST /api/v1/register/entries` takes them.
 */
export interface EntryColumn {
  readonly path: string;
  readonly zh: string;
  readonly en: string;
  readonly required: boolean;
}

export const ENTRY_COLUMNS: readonly EntryColumn[] = [
  { path: 'businessNo', zh: '业务号', en: 'business number', required: true },
  { path: 'registrationType', zh: '登记类型', en: 'registration type (code 100–900 or name)', required: true },
  { path: 'recordedAt', zh: '登簿时间', en: 'recorded at (ISO 8601, or YYYY-MM-DD HH:MM China time)', required: true },
  { path: 'unitNo', zh: '不动产单元号', en: 'real estate unit number', required: true },
  { path: 'location', zh: '坐落', en: 'location', required: true },
  { path: 'caseId', zh: '办件编号', en: 'cross-region case id', required: false },
  { path: 'seizure.type', zh: '查封类型', en: 'seizure type (code 1–5 or name)', required: false },
  { path: 'seizure.court', zh: '查封机关', en: 'seizing authority', required: false },
  { path: 'seizure.caseNo', zh: '查封文号', en: 'seizure document number', required: false },
  {
    path: 'cancels.target',
    zh: '注销对象',
    en: 'what a cancellation ends (权利/抵押权/查封/异议登记/预告登记)',
    required: false,
  },
  { path: 'cancels.certificateNo', zh: '注销证号', en: 'certificate number cancelled', required: false },
  { path: 'cancels.restrictionId', zh: '注销限制编号', en: 'restriction id cancelled', required: false },
  {
    path: 'paperRecall.method',
    zh: '原证收回方式',
    en: 'paper original recalled (交回/公告作废/未核发)',
    required: false,
  },
  { path: 'paperRecall.noticeRef', zh: '公告文号', en: 'public notice reference', required: false },
];

const BY_ZH = new Map(ENTRY_COLUMNS.map((c) => [c.zh, c]));
const CANCEL_TARGETS: Record<string, string> = {
  权利: 'right',
  所有权: 'right',
  抵押权: 'mortgage',
  抵押: 'mortgage',
  查封: 'seizure',
  解封: 'seizure',
  异议登记: 'objection',
  异议: 'objection',
  预告登记: 'advance-notice',
  预告: 'advance-notice',
};
const RECALL_METHODS: Record<string, string> = {
  交回: 'returned',
  公告作废: 'public-notice',
  未核发: 'none-issued',
  未核发纸质证书: 'none-issued',
};

/** The Chinese column of an entry field path (for problem reports). */
export function entryColumnOf(path: string, kind?: CertificateKind): string | undefined {
  if (path.startsWith('face.') && kind) return chineseNameOf(kind, path.slice(5));
  return ENTRY_COLUMNS.find((c) => c.path === path || path.startsWith(`${c.path}.`) || c.path.startsWith(`${path}.`))
    ?.zh;
}

/** `2026-11-20 10:30[:00]` and `2026/11/20 10:30` are China Standard Time; `20261120` is that day's start. */
function recordedAtOf(v: string): string {
  const t = v.trim();
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) {
    const p2 = (x: string | undefined) => (x ?? '0').padStart(2, '0');
    return `${m[1]}-${p2(m[2])}-${p2(m[3])}T${p2(m[4])}:${p2(m[5])}:${p2(m[6])}+08:00`;
  }
  if (/^\d{8}$/.test(t)) return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T00:00:00+08:00`;
  return t;
}

function set(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (!tail) target[head] = value;
  else {
    const obj = (target[head] as Record<string, unknown> | undefined) ?? {};
    obj[tail] = value;
    target[head] = obj;
  }
}

const isChineseRow = (values: Readonly<Record<string, unknown>>) =>
  Object.keys(values).some((k) => /[\u4e00-\u9fa5]/.test(k));

/**
 * A table row keyed by Chinese column names → the raw RegisterEntryInput shape (still unvalidated), plus the
 * problems only the table form can have (unknown columns, face data without 证照类型).
 */
export function entryFromChineseRow(values: Readonly<Record<string, unknown>>): {
  raw: Record<string, unknown>;
  kind: CertificateKind | undefined;
  problems: Problem[];
} {
  const raw: Record<string, unknown> = {};
  const problems: Problem[] = [];
  const faceCols: Record<string, unknown> = {};
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim());
  for (const [header, value] of Object.entries(values)) {
    const h = header.trim();
    if ((REJECT_COLUMNS as readonly string[]).includes(h)) continue; // a corrected rejects file imports as it is
    const col = BY_ZH.get(h);
    const v = text(value);
    if (col) {
      if (v === '') continue;
      let mapped: string = v;
      if (col.path === 'registrationType' && !/^\d{3}$/.test(v)) mapped = codeOf(REGISTRATION_TYPES, v) ?? v;
      else if (col.path === 'seizure.type' && !/^\d$/.test(v)) mapped = codeOf(SEIZURE_TYPES, v) ?? v;
      else if (col.path === 'cancels.target') mapped = CANCEL_TARGETS[v] ?? v;
      else if (col.path === 'paperRecall.method') mapped = RECALL_METHODS[v] ?? v;
      else if (col.path === 'recordedAt') mapped = recordedAtOf(v);
      set(raw, col.path, mapped);
    }
    // 不动产单元号 and 坐落 are also face items: every non-entry column goes to the face data as well.
    if (!col || col.path === 'unitNo' || col.path === 'location') faceCols[h] = value;
  }
  const named = text(values.证照类型);
  const kind = named ? kindFromName(named) : undefined;
  if (named && !kind) {
    problems.push(
      problem(
        'KIND_UNKNOWN',
        '证照类型应为“不动产权证书”或“不动产登记证明”',
        'kind must be 不动产权证书 or 不动产登记证明',
        'face.kind',
      ),
    );
  } else if (kind) {
    const { record, unknownHeaders } = fromChineseRecord(kind, faceCols);
    raw.face = record;
    for (const h of unknownHeaders)
      problems.push(problem('UNKNOWN_COLUMN', `未知列「${h}」`, `Unknown column ${h}`, h));
  } else {
    // No 证照类型: the entry produces no document (查封, 注销) — any face item filled in is a mistake worth reporting.
    const faceNames = new Set(
      [...fieldsOf('property-certificate'), ...fieldsOf('registration-proof')].map((f) => f.zh),
    );
    for (const [h, v] of Object.entries(faceCols)) {
      if (h === '证照类型' || h === '不动产单元号' || h === '坐落' || text(v) === '') continue;
      problems.push(
        faceNames.has(h)
          ? problem(
              'KIND_REQUIRED',
              `填写了照面信息「${h}」，须同时填写证照类型`,
              `Face item ${h} is filled in: 证照类型 is required`,
              'face.kind',
            )
          : problem('UNKNOWN_COLUMN', `未知列「${h}」`, `Unknown column ${h}`, h),
      );
    }
  }
  return { raw, kind, problems };
}

export interface ParsedEntryRow {
  readonly input: RegisterEntryInput & { agencyId: string };
}

const EntryWithoutFace = RegisterEntryInput.omit({ face: true });

/**
 * Validates a table row as `POST /api/v1/register/entries` would: the same schema, the same decision of the document
 * and the same face-data rules (entryProblems), and reports every error with the row, our field path and the
 * column's Chinese name. Nothing here touches the database.
 */
export function parseEntryRow(
  row: number,
  values: Readonly<Record<string, unknown>>,
  ctx: { readonly agencyId: string; readonly agencyUscc: string; readonly codeTables?: CodeTables },
): { ok: ParsedEntryRow } | { problems: ImportProblem[] } {
  const table = isChineseRow(values) ? entryFromChineseRow(values) : undefined;
  const raw: Record<string, unknown> = table ? table.raw : { ...values };
  for (const k of REJECT_COLUMNS) delete raw[k];
  delete raw.agencyId; // the importing agency is the one recording, as for staff calls of the API
  const found: Problem[] = [...(table?.problems ?? [])];
  const { face: rawFace, ...rest } = raw;
  const entry = EntryWithoutFace.safeParse(rest);
  if (!entry.success) found.push(...zodIssuesToProblems(entry.error.issues));
  let faceOk = rawFace === undefined;
  if (rawFace !== undefined) {
    const f = validateFace(rawFace, { stage: 'input', ...(ctx.codeTables ? { codeTables: ctx.codeTables } : {}) });
    faceOk = f.ok;
    found.push(...f.problems.map((p) => (p.field ? { ...p, field: `face.${p.field}` } : { ...p, field: 'face' })));
  }
  let parsed: (RegisterEntryInput & { agencyId: string }) | undefined;
  if (entry.success) {
    const whole = RegisterEntryInput.safeParse({ ...rest, ...(rawFace === undefined ? {} : { face: rawFace }) });
    const rawKind = (rawFace as { kind?: unknown } | undefined)?.kind;
    const decision = decideDocument(
      factsOf(
        typeof rawKind === 'string' ? (rawFace as Parameters<typeof factsOf>[0]) : undefined,
        entry.data.registrationType,
      ),
    );
    if (whole.success && faceOk) {
      parsed = { ...whole.data, agencyId: ctx.agencyId };
      found.push(...entryProblems(parsed, decision, ctx.agencyUscc, ctx.codeTables));
    } else if (decision.document === 'none') {
      found.push(...entryProblems({ ...entry.data }, decision, ctx.agencyUscc, ctx.codeTables));
    } else if (typeof rawKind === 'string' && rawKind !== decision.document) {
      found.push(
        problem(
          'DOCUMENT_KIND_MISMATCH',
          `${decision.reason}，但照面信息是另一种证照`,
          `${decision.reasonEn}, but the face data is of the other kind`,
          'face.kind',
        ),
      );
    }
  }
  const seen = new Set<string>();
  const errors = found.filter((p) => {
    if (p.severity !== 'error') return false;
    const key = `${p.code}|${p.field ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (errors.length || !parsed) {
    const kind =
      table?.kind ??
      (typeof (rawFace as { kind?: unknown })?.kind === 'string'
        ? (rawFace as { kind: CertificateKind }).kind
        : undefined);
    return {
      problems: errors.map((p) => {
        const zh = p.field ? (entryColumnOf(p.field, kind) ?? (BY_ZH.has(p.field) ? p.field : undefined)) : undefined;
        return {
          row,
          ...(p.field ? { field: zh && zh !== p.field ? `${p.field}（${zh}）` : p.field } : {}),
          code: p.code,
          message: p.message,
          messageEn: p.messageEn,
        };
      }),
    };
  }
  return { ok: { input: parsed } };
}
