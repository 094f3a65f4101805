import { type core, z } from 'zod';
import { type Problem, problem } from './problem.js';

const zh = z.locales.zhCN().localeError;
const BILINGUAL = /^(.+?)\s*\|\|\s*(.+)$/s;

/** Field path in our dot/bracket notation: `holders[1].idNumber`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * Turns zod issues into Problems with a Chinese and an English message. A schema may give its own bilingual message as
 * `'中文||English'`; otherwise zod's zh-CN and English locales word it.
 */
export function zodIssuesToProblems(issues: readonly core.$ZodIssue[], prefix?: string): Problem[] {
  return issues.map((i) => {
    const field = [prefix, fieldPath(i.path)].filter(Boolean).join('.') || undefined;
    const custom = BILINGUAL.exec(i.message);
    if (custom) return problem(`INVALID_${i.code.toUpperCase()}`, custom[1]!, custom[2]!, field);
    let message: string;
    if (i.code === 'invalid_type') {
      message = `无效输入：期望 ${i.expected}`; // the zh locale needs the input to name the received type; we omit it
    } else {
      const m = zh?.(i as unknown as core.$ZodRawIssue);
      message = typeof m === 'string' ? m : (m?.message ?? i.message);
    }
    return problem(`INVALID_${i.code.toUpperCase()}`, message, i.message, field);
  });
}
