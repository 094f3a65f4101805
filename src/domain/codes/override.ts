import { z } from 'zod';
import { type Checked, hasErrors, type Problem, problem } from '../problem.js';
import { CODE_TABLES, type CodeEntry, type CodeTable, PROOF_MATTER_NAMES } from './tables.js';

/**
 * Code tables in force: the compiled tables plus, where the standard text is unverified, what the province configures
 * (issue 3 §3: “where the standard is unverified, the table is configuration seeded with what is known”). Only tables
 * whose confidence is 'configuration' may be extended or replaced; verified and inferred tables are the standard and
 * an override that touches them is refused. Pure: the caller reads the file and passes its content in.
 */
export interface CodeTables {
  /** `builtin`, or `builtin+<override version>` when an override is applied (shown in the API and the logs). */
  readonly version: string;
  readonly tables: Readonly<Record<string, CodeTable>>;
}

export const BUILTIN_CODE_TABLES: CodeTables = {
  version: 'builtin',
  tables: Object.fromEntries(CODE_TABLES.map((t) => [t.id, t])),
};

export function tableOf(set: CodeTables | undefined, id: string): CodeTable {
  const t = (set ?? BUILTIN_CODE_TABLES).tables[id] ?? BUILTIN_CODE_TABLES.tables[id];
  if (!t) throw new Error(`unknown code table ${id}`);
  return t;
}

/** 证明权利或事项 names a 证明 may carry: Sichuan Art. 5's list plus any the configured table names. */
export function proofMatterNames(set: CodeTables | undefined): readonly string[] {
  return [...new Set([...PROOF_MATTER_NAMES, ...tableOf(set, 'proofMatter').entries.map((e) => e.name)])];
}

const Entry = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{1,10}$/, '代码应为1–10位字母或数字||a code is 1–10 letters or digits'),
  name: z.string().trim().min(1, '名称必填||name is required').max(100),
});

/**
 * The override file (BDCERT_CODE_TABLES): `{ "version": "豫-2026-01", "tables": { "proofMatter": { "mode": "extend",
 * "entries": [{ "code": "12", "name": "地役权" }] } } }`. `extend` adds codes (an existing code must keep its name);
 * `replace` swaps the seeded entries for the province's table.
 */
export const CodeTableOverrideFile = z.object({
  version: z
    .string({ error: '须有版本标签 version||a version label is required' })
    .trim()
    .regex(/^[\p{L}\p{N}._+-]{1,64}$/u, '版本标签为1–64位字母、数字或 . _ + -||version: 1–64 letters, digits, . _ + -'),
  tables: z.record(
    z.string(),
    z.object({
      mode: z.enum(['extend', 'replace']).default('extend'),
      entries: z.array(Entry).min(1, '至少一项||at least one entry'),
    }),
  ),
});
export type CodeTableOverrideFile = z.infer<typeof CodeTableOverrideFile>;

const split = (m: string): [string, string] => {
  const [zh, en] = m.split('||');
  return [zh ?? m, en ?? zh ?? m];
};

/** Applies an override to the compiled tables; every problem is reported (field paths into the file). */
export function applyCodeTableOverride(raw: unknown, base: readonly CodeTable[] = CODE_TABLES): Checked<CodeTables> {
  const parsed = CodeTableOverrideFile.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => {
        const [zh, en] = split(i.message);
        return problem('CODE_TABLES_FORMAT', zh, en, i.path.map(String).join('.') || undefined);
      }),
    };
  }
  const file = parsed.data;
  const byId = new Map(base.map((t) => [t.id, t]));
  const problems: Problem[] = [];
  const tables: Record<string, CodeTable> = Object.fromEntries(base.map((t) => [t.id, t]));
  for (const [id, o] of Object.entries(file.tables)) {
    const field = `tables.${id}`;
    const t = byId.get(id);
    if (!t) {
      problems.push(problem('UNKNOWN_CODE_TABLE', `没有代码表「${id}」`, `No code table ${id}`, field));
      continue;
    }
    if (t.confidence !== 'configuration') {
      problems.push(
        problem(
          'CODE_TABLE_NOT_CONFIGURABLE',
          `代码表「${t.name}」来自已核实的标准（${t.source}），不能覆盖`,
          `Code table ${id} comes from a verified standard (${t.source}) and cannot be overridden`,
          field,
        ),
      );
      continue;
    }
    const seen = new Set<string>();
    o.entries.forEach((e, i) => {
      if (seen.has(e.code))
        problems.push(
          problem(
            'DUPLICATE_CODE',
            `代码 ${e.code} 重复`,
            `Code ${e.code} appears twice`,
            `${field}.entries.${i}.code`,
          ),
        );
      seen.add(e.code);
    });
    let entries: CodeEntry[];
    if (o.mode === 'replace') {
      entries = o.entries.map((e) => ({ code: e.code, name: e.name }));
    } else {
      entries = [...t.entries];
      o.entries.forEach((e, i) => {
        const known = t.entries.find((x) => x.code === e.code);
        if (known && known.name !== e.name) {
          // A seeded code keeps its meaning; renaming one needs `replace`, so it is never done by accident.
          problems.push(
            problem(
              'CODE_NAME_CONFLICT',
              `代码 ${e.code} 已表示「${known.name}」，扩充时不能改为「${e.name}」（如需替换请用 replace）`,
              `Code ${e.code} already means ${known.name}; use mode replace to change it`,
              `${field}.entries.${i}.name`,
            ),
          );
        } else if (!known) entries.push({ code: e.code, name: e.name });
      });
    }
    tables[id] = {
      ...t,
      version: `${t.version}+${file.version}`,
      source: `${t.source}; 配置覆盖 override ${file.version} (${o.mode})`,
      entries,
    };
  }
  if (hasErrors(problems)) return { ok: false, problems };
  return { ok: true, value: { version: `builtin+${file.version}`, tables }, problems };
}
