import { type Problem, problem } from '../problem.js';
import { isDivisionCode } from './division.js';

/**
 * 不动产单元号 (GB/T 37346-2019; standards.md §3): 28 characters, no check digit —
 * 6 区划 + 3 地籍区 + 3 地籍子区 + 2 宗地特征码 + 5 宗地顺序号 + 1 定着物特征码 + 8 定着物单元编号.
 * Printed in groups with spaces; stored without.
 */
export const UNIT_NUMBER = /^(\d{6})(\d{3})(\d{3})([GJZ])([ABSXCDEFLNHGWY])(\d{5})([FLQW])(\d{8})$/;

export interface UnitNumberParts {
  readonly region: string;
  readonly cadastralZone: string;
  readonly cadastralSubzone: string;
  readonly ownership: string; // G 国有 J 集体 Z 争议
  readonly parcelType: string;
  readonly parcelSeq: string;
  readonly fixture: string; // F 房屋 L 林木 Q 其他 W 无定着物
  readonly fixtureUnit: string;
}

export function normaliseUnitNumber(v: string): string {
  return v.replace(/\s+/g, '').toUpperCase();
}

export function parseUnitNumber(v: string): UnitNumberParts | undefined {
  const m = UNIT_NUMBER.exec(normaliseUnitNumber(v));
  if (!m) return undefined;
  return {
    region: m[1]!,
    cadastralZone: m[2]!,
    cadastralSubzone: m[3]!,
    ownership: m[4]!,
    parcelType: m[5]!,
    parcelSeq: m[6]!,
    fixture: m[7]!,
    fixtureUnit: m[8]!,
  };
}

/** Display form: `330110 119001 GB04246 F00080003`. */
export function formatUnitNumber(v: string): string {
  const n = normaliseUnitNumber(v);
  return `${n.slice(0, 6)} ${n.slice(6, 12)} ${n.slice(12, 19)} ${n.slice(19)}`;
}

export function checkUnitNumber(value: string, field = 'unitNo'): Problem[] {
  const v = normaliseUnitNumber(value);
  if (v.length !== 28) {
    return [
      problem(
        'UNIT_NO_LENGTH',
        `不动产单元号应为28位，实际${v.length}位`,
        `A unit number has 28 characters, got ${v.length}`,
        field,
      ),
    ];
  }
  const p = parseUnitNumber(v);
  if (!p) {
    return [
      problem(
        'UNIT_NO_FORMAT',
        '不动产单元号结构错误（6位区划+6位地籍区子区+宗地特征码G/J/Z与类型+5位顺序号+定着物特征码F/L/Q/W+8位编号）',
        'Unit number structure: 6-digit region, 6 cadastral digits, parcel code [GJZ][type], 5 digits, fixture [FLQW], 8 digits',
        field,
      ),
    ];
  }
  const out: Problem[] = [];
  // Placeholder regions (999) are used in transition periods (standards.md §3), so only warn.
  if (!isDivisionCode(p.region)) {
    out.push(
      problem(
        'UNIT_NO_REGION',
        `不动产单元号的行政区划代码 ${p.region} 不在GB/T 2260中`,
        `Region ${p.region} is not a GB/T 2260 code`,
        field,
        'warning',
      ),
    );
  }
  if (p.fixture === 'W' && p.fixtureUnit !== '00000000') {
    out.push(
      problem(
        'UNIT_NO_FIXTURE',
        '无定着物（W）时定着物单元编号应为00000000',
        'With fixture W the unit part is 00000000',
        field,
      ),
    );
  }
  return out;
}

/**
 * Plausibility of 权利类型 for a unit number (standards.md §3, gtmap qllx.drl) — a warning, never an error.
 * Returns the right-type codes the unit number suggests, or undefined when the rules say nothing.
 */
export function plausibleRightTypes(unitNo: string): readonly string[] | undefined {
  const p = parseUnitNumber(unitNo);
  if (!p) return undefined;
  const own = p.ownership;
  const t = p.parcelType;
  const f = p.fixture;
  const bsxwy = 'BSXWY'.includes(t);
  if (t === 'A' && f === 'W') return own === 'G' ? ['2'] : ['1'];
  if (own === 'G' && bsxwy) return f === 'W' ? ['3'] : f === 'F' ? ['4', '24'] : ['3', '4'];
  if ((own === 'J' || own === 'Z') && bsxwy) return f === 'W' ? ['7'] : f === 'F' ? ['8'] : ['7', '8'];
  if (t === 'C') return f === 'W' ? ['5'] : f === 'F' ? ['6'] : ['5', '6'];
  if (t === 'E' && f === 'L') return ['10'];
  if (t === 'L') return f === 'L' ? ['12'] : ['11'];
  if ('DEF'.includes(t) && f === 'W') return ['9'];
  if (t === 'N' && f === 'W') return ['13', '23'];
  if (t === 'H') return f === 'W' ? ['15'] : ['16', '27'];
  if (t === 'G' && own === 'G') return f === 'W' ? ['17'] : ['18', '28'];
  return undefined;
}
