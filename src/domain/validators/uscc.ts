import { type Problem, problem } from '../problem.js';

/** GB 32100-2015 统一社会信用代码 (standards.md §5.2). */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * WEIGHTS[i]!;
  const c = 31 - (sum % 31);
  return USCC_ALPHABET[c === 31 ? 0 : c]!;
}

/** GB 11714 组织机构代码 check character over its first 8 characters (values 0–9, A–Z = 10–35). */
export function orgCodeCheckChar(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const ch = first8[i]!;
    sum += (/\d/.test(ch) ? Number(ch) : ch.charCodeAt(0) - 55) * ORG_WEIGHTS[i]!;
  }
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

export function checkUscc(value: string, field = 'uscc'): Problem[] {
  const v = value.trim().toUpperCase();
  if (!new RegExp(`^[${USCC_ALPHABET}]{18}$`).test(v)) {
    return [
      problem(
        'USCC_FORMAT',
        '统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）',
        'A USCC is 18 digits or capitals (no I, O, Z, S, V)',
        field,
      ),
    ];
  }
  const out: Problem[] = [];
  if (!/^\d{6}$/.test(v.slice(2, 8))) {
    out.push(
      problem('USCC_REGION', '统一社会信用代码第3–8位应为行政区划码', 'USCC positions 3–8 are a region code', field),
    );
  }
  // The embedded 组织机构代码 (positions 9–17) carries its own GB 11714 check character.
  const org = v.slice(8, 17);
  if (/^[0-9A-Z]{8}[0-9X]$/.test(org) && orgCodeCheckChar(org.slice(0, 8)) !== org[8]) {
    out.push(
      problem(
        'USCC_ORG_CHECK',
        '统一社会信用代码中的组织机构代码校验码错误',
        'The embedded organisation code check character is wrong',
        field,
      ),
    );
  } else if (!/^[0-9A-Z]{8}[0-9X]$/.test(org)) {
    out.push(
      problem(
        'USCC_ORG_FORMAT',
        '统一社会信用代码中的组织机构代码格式错误',
        'The embedded organisation code is malformed',
        field,
      ),
    );
  }
  if (usccCheckChar(v) !== v[17]) {
    out.push(problem('USCC_CHECK', '统一社会信用代码校验码错误', 'USCC check character is wrong', field));
  }
  return out;
}
