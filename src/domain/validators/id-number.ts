import { type Problem, problem } from '../problem.js';
import { isCalendarDate } from './dates.js';
import { isDivisionCode } from './division.js';

/** GB 11643-1999 公民身份号码 check character (ISO 7064 MOD 11-2), standards.md §5.1. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = '10X98765432';

export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/**
 * Validates an 18-digit 公民身份号码: digits, a real birth date not in the future, a plausible address code
 * (its province must exist in GB/T 2260; old county codes are accepted because numbers outlive re-zoning), and the
 * check character. Lower-case x is accepted and reported for normalisation.
 */
export function checkIdNumber(value: string, field = 'idNumber', today: Date = new Date()): Problem[] {
  const v = value.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(v)) {
    return [
      problem(
        'ID_NUMBER_FORMAT',
        '公民身份号码应为18位（前17位数字，末位数字或X）',
        'An ID number has 18 characters: 17 digits and a digit or X',
        field,
      ),
    ];
  }
  const out: Problem[] = [];
  const birth = v.slice(6, 14);
  if (!isCalendarDate(birth) || birth < '18000101' || birth > fmt(today)) {
    out.push(
      problem(
        'ID_NUMBER_BIRTH_DATE',
        `出生日期 ${birth} 不是有效日期`,
        `Birth date ${birth} is not a real date`,
        field,
      ),
    );
  }
  if (!isDivisionCode(`${v.slice(0, 2)}0000`)) {
    out.push(
      problem(
        'ID_NUMBER_REGION',
        `地址码 ${v.slice(0, 6)} 的省级代码不存在`,
        `Address code ${v.slice(0, 6)}: unknown province`,
        field,
      ),
    );
  }
  if (idNumberCheckChar(v) !== v[17]) {
    out.push(problem('ID_NUMBER_CHECK', '公民身份号码校验码错误', 'ID number check character is wrong', field));
  }
  return out;
}

function fmt(d: Date): string {
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
