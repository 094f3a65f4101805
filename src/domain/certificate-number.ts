import type { CertificateKind } from './catalog.js';
import { type Problem, problem } from './problem.js';

/**
 * 不动产权证书号 / 不动产登记证明号 (standards.md §4; Huangchuan 1.6: 省份简称 + 年号 + 县名 + 登记流水号):
 *   <省份简称>(<4位年份>)<市县全称>不动产权第<7位顺序号>号
 *   <省份简称>(<4位年份>)<市县全称>不动产证明第<7位顺序号>号
 * Half-width brackets are the normal form; full-width （） are accepted on input and normalised.
 * The serial restarts each year per agency and kind and is never reused.
 */
export interface CertificateNumberParts {
  readonly provinceAbbr: string;
  readonly year: number;
  readonly cityCounty: string;
  readonly kind: CertificateKind;
  readonly serial: number;
}

const WORD: Record<CertificateKind, string> = {
  'property-certificate': '不动产权',
  'registration-proof': '不动产证明',
};
const PATTERN = /^([\u4e00-\u9fa5])\((\d{4})\)([\u4e00-\u9fa5]+?)(不动产权|不动产证明)第(\d{7})号$/;

export function normaliseCertificateNumber(s: string): string {
  return s.trim().replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')');
}

export function formatCertificateNumber(p: CertificateNumberParts): string {
  if (!Number.isInteger(p.serial) || p.serial < 1 || p.serial > 9_999_999) throw new Error('serial must be 1–9999999');
  return `${p.provinceAbbr}(${p.year})${p.cityCounty}${WORD[p.kind]}第${String(p.serial).padStart(7, '0')}号`;
}

export function parseCertificateNumber(s: string): CertificateNumberParts | undefined {
  const m = PATTERN.exec(normaliseCertificateNumber(s));
  if (!m) return undefined;
  return {
    provinceAbbr: m[1]!,
    year: Number(m[2]),
    cityCounty: m[3]!,
    kind: m[4] === '不动产权' ? 'property-certificate' : 'registration-proof',
    serial: Number(m[5]),
  };
}

export function checkCertificateNumber(s: string, field = 'certificateNo', expectedKind?: CertificateKind): Problem[] {
  const p = parseCertificateNumber(s);
  if (!p) {
    return [
      problem(
        'CERT_NO_FORMAT',
        '证号格式应为：省份简称(年份)市县全称不动产权第0000001号（证明为“不动产证明”）',
        'Number format: <province>(<year>)<city/county>不动产权第<7 digits>号 (proofs: 不动产证明)',
        field,
      ),
    ];
  }
  const out: Problem[] = [];
  if (p.year < 2014 || p.year > 2100) {
    // Unified registration started in 2014/2015; earlier years cannot carry this number form.
    out.push(problem('CERT_NO_YEAR', `证号年份 ${p.year} 不合理`, `Year ${p.year} is implausible`, field));
  }
  if (p.serial === 0) out.push(problem('CERT_NO_SERIAL', '顺序号从0000001开始', 'Serial starts at 0000001', field));
  if (expectedKind && p.kind !== expectedKind) {
    out.push(
      expectedKind === 'property-certificate'
        ? problem('CERT_NO_KIND', '不动产权证书号应含“不动产权”', 'A property certificate number says 不动产权', field)
        : problem(
            'CERT_NO_KIND',
            '不动产登记证明号应含“不动产证明”',
            'A registration proof number says 不动产证明',
            field,
          ),
    );
  }
  return out;
}
