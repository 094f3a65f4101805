import { readFileSync } from 'node:fs';
import { applyCodeTableOverride, BUILTIN_CODE_TABLES, type CodeTables } from '../../domain/codes/override.js';

/**
 * The code tables in force for this node: the compiled tables, extended or replaced where they are configuration by
 * the file named in BDCERT_CODE_TABLES (issue 3 §3). Read and validated once at start; an invalid file stops the
 * process naming the variable and every problem, as an invalid variable does. The domain only receives the result.
 */
export class CodeTablesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodeTablesError';
  }
}

export function loadCodeTables(file: string | undefined): CodeTables {
  if (!file) return BUILTIN_CODE_TABLES;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CodeTablesError(
      `配置无效 / invalid configuration:\n  BDCERT_CODE_TABLES=${JSON.stringify(file)}: expected a readable JSON file (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const r = applyCodeTableOverride(raw);
  if (!r.ok) {
    throw new CodeTablesError(
      `配置无效 / invalid configuration:\n  BDCERT_CODE_TABLES=${JSON.stringify(file)}:\n${r.problems
        .map((p) => `    ${p.field ?? '-'}: ${p.code} ${p.message} / ${p.messageEn}`)
        .join('\n')}`,
    );
  }
  return r.value;
}
