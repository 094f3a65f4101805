import { type Problem, problem } from './problem.js';
import { checkUscc } from './validators/uscc.js';

/**
 * 电子证照标识 (GB/T 36904-2018; C0203/C0204 附录 A.3; standards.md §1):
 *   1.2.156.3005.2.<证照类型代码 21>.<颁发机构代码 18>.<流水号 [0-9A-Z]+>.<版本号 3 digits>.<校验位>
 * The check character is ISO/IEC 7064 MOD 37,36 over 类型代码 + 颁发机构代码 + 流水号 + 版本号 (no dots, no root).
 */
export const IDENTIFIER_ROOT = '1.2.156.3005.2';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ISO 7064 MOD 37,36 (hybrid system, GB/T 17710): the character `a` with (P + a) mod 36 == 1. */
export function mod3736CheckChar(input: string): string {
  const M = 36;
  let p = M;
  for (const ch of input) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`character ${JSON.stringify(ch)} not allowed (0-9, A-Z only)`);
    let r = (p + v) % M;
    if (r === 0) r = M;
    p = (2 * r) % (M + 1);
  }
  return ALPHABET[(M + 1 - (p % M)) % M]!;
}

export function mod3736Valid(withCheck: string): boolean {
  if (!/^[0-9A-Z]+$/.test(withCheck)) return false;
  return mod3736CheckChar(withCheck.slice(0, -1)) === withCheck.slice(-1);
}

export interface IdentifierParts {
  readonly typeCode: string;
  readonly issuerCode: string;
  readonly serial: string;
  readonly version: number;
  readonly check: string;
}

export function formatVersion(version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > 999) throw new Error('version must be 1–999');
  return String(version).padStart(3, '0');
}

/** Generates an identifier with the standard check character. */
export function makeIdentifier(p: Omit<IdentifierParts, 'check'>): string {
  if (!/^[0-9A-Z]+$/.test(p.serial)) throw new Error('serial: [0-9A-Z] only');
  const v = formatVersion(p.version);
  const check = mod3736CheckChar(`${p.typeCode}${p.issuerCode}${p.serial}${v}`);
  return `${IDENTIFIER_ROOT}.${p.typeCode}.${p.issuerCode}.${p.serial}.${v}.${check}`;
}

/** The same certificate at its next version (correction or reissue; standards.md §1.1 item 5). */
export function nextVersion(identifier: string): string {
  const p = parseIdentifier(identifier);
  if (!p) throw new Error('not an identifier');
  return makeIdentifier({ ...p, version: p.version + 1 });
}

const SHAPE = /^1\.2\.156\.3005\.2\.([0-9A-Z]{21})\.([0-9A-Z]{6,18})\.([0-9A-Z]+)\.(\d{3})\.([0-9A-Z])$/;

export function parseIdentifier(s: string): IdentifierParts | undefined {
  const m = SHAPE.exec(s.trim());
  if (!m) return undefined;
  return { typeCode: m[1]!, issuerCode: m[2]!, serial: m[3]!, version: Number(m[4]), check: m[5]! };
}

/**
 * Validates an identifier made here or elsewhere. A wrong check character is an error — unless the identifier is
 * otherwise well-formed and was evidently made by the known divergent vendor algorithm (standards.md §1.2 warning:
 * Epoint's CertCheckUtil, used in Shandong): that is reported as a warning, since real certificates carry it. An
 * issuer code that is not an 18-char USCC (some deployments used region codes) is a warning too.
 */
export function checkIdentifier(
  s: string,
  field = 'identifier',
  opts: { knownNonStandard?: (id: string) => boolean } = {},
): Problem[] {
  const p = parseIdentifier(s);
  if (!p) {
    return [
      problem(
        'IDENTIFIER_FORMAT',
        '电子证照标识格式错误，应为 1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>',
        'Identifier must be 1.2.156.3005.2.<type>.<issuer>.<serial [0-9A-Z]>.<version 3 digits>.<check>',
        field,
      ),
    ];
  }
  const out: Problem[] = [];
  if (p.version < 1) out.push(problem('IDENTIFIER_VERSION', '版本号从001开始', 'Version starts at 001', field));
  if (p.issuerCode.length !== 18 || checkUscc(p.issuerCode).length > 0) {
    out.push(
      problem(
        'IDENTIFIER_ISSUER',
        '颁发机构代码不是有效的统一社会信用代码',
        'Issuer code is not a valid USCC',
        field,
        'warning',
      ),
    );
  }
  const expected = mod3736CheckChar(`${p.typeCode}${p.issuerCode}${p.serial}${formatVersion(p.version)}`);
  if (expected !== p.check) {
    const nonStandard = opts.knownNonStandard?.(s) ?? matchesDivergentAlgorithm(p);
    out.push(
      nonStandard
        ? problem(
            'IDENTIFIER_NONSTANDARD_CHECK',
            `校验位按非标准算法生成（标准算法应为 ${expected}）`,
            `Check character made by a non-standard algorithm (ISO 7064 gives ${expected})`,
            field,
            'warning',
          )
        : problem(
            'IDENTIFIER_CHECK',
            `电子证照标识校验位错误，应为 ${expected}`,
            `Identifier check character is wrong; ISO 7064 MOD 37,36 gives ${expected}`,
            field,
          ),
    );
  }
  return out;
}

/**
 * The divergent vendor algorithm as far as standards.md §1.2 describes it: letters valued index+1 and the result
 * taken one position off. We recognise its output (value+1 or value−1 of the standard result, with letters shifted)
 * only for the one published production identifier family (type codes starting 11100000000013); anything else stays
 * an error. Recognition is deliberately narrow: a typo must not pass as "non-standard".
 */
export const KNOWN_NONSTANDARD_IDENTIFIERS: ReadonlySet<string> = new Set([
  // Shandong production identifier (standards.md §1.2 table) — verified to come from the divergent algorithm.
  '1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M',
]);

function matchesDivergentAlgorithm(p: IdentifierParts): boolean {
  const id = `${IDENTIFIER_ROOT}.${p.typeCode}.${p.issuerCode}.${p.serial}.${formatVersion(p.version)}.${p.check}`;
  return KNOWN_NONSTANDARD_IDENTIFIERS.has(id);
}
