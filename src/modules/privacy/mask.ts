/**
 * Masking for lists and logs (issue 7 §7; Huangchuan 5.2.3 privacy of the holder). Works on code points, so a rare
 * character outside the BMP (生僻字) counts as one character.
 */

/** `41152619800101123X` → `4115**********123X`; short values keep only their first and last character. */
export function maskIdNumber(id: string): string {
  const cs = Array.from(id.trim());
  if (cs.length === 0) return '';
  if (cs.length <= 8)
    return cs.length <= 2 ? '*'.repeat(cs.length) : `${cs[0]}${'*'.repeat(cs.length - 2)}${cs.at(-1)}`;
  return `${cs.slice(0, 4).join('')}${'*'.repeat(cs.length - 8)}${cs.slice(-4).join('')}`;
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`; a single character is kept (nothing to hide behind). */
export function maskName(name: string): string {
  const cs = Array.from(name.trim());
  if (cs.length <= 1) return cs.join('');
  return `${cs[0]}${'*'.repeat(cs.length - 1)}`;
}

/** `13812345678` → `138****5678`. */
export function maskPhone(phone: string): string {
  const cs = Array.from(phone.trim());
  if (cs.length < 7) return '*'.repeat(cs.length);
  return `${cs.slice(0, 3).join('')}${'*'.repeat(cs.length - 7)}${cs.slice(-4).join('')}`;
}

/** 18-digit 居民身份证号码 (GB 11643) with its ISO 7064 MOD 11-2 check character. */
export function isValidResidentIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * (w[i] ?? 0);
  return '10X98765432'[sum % 11] === id[17];
}
