import type { CertificateKind } from './catalog.js';

/**
 * Which document a registration produces (Sichuan Art. 5–6):
 * - 抵押权、地役权、预告登记、异议登记、居住权 → 不动产登记证明 (Art. 5);
 * - 注销登记、查封登记 → no document (Art. 6 excludes them and Art. 5 does not list them);
 * - every other registration recorded in the register → 不动产权证书 (Art. 6).
 * Keyed by 登记类型 (TD/T 1066 DJLX) and 权利类型 (QLLX code, with its name for rights that have no national code,
 * such as 居住权).
 */
export type DocumentDecision =
  | { readonly document: CertificateKind; readonly matter?: string; readonly reason: string; readonly reasonEn: string }
  | { readonly document: 'none'; readonly reason: string; readonly reasonEn: string };

export interface RegistrationFacts {
  /** 登记类型 code: 100 首次 200 转移 300 变更 400 注销 500 更正 600 异议 700 预告 800 查封 900 其他. */
  readonly registrationType: string;
  /** 权利类型 code (TD/T 1066 QLLX; 19 地役权, 23 抵押权 locally). */
  readonly rightType?: string;
  /** 权利类型 name as recorded, for rights without a national code (居住权). */
  readonly rightTypeName?: string;
}

interface Row {
  readonly when: (f: RegistrationFacts) => boolean;
  readonly decide: DocumentDecision;
}

const isMortgage = (f: RegistrationFacts) => f.rightType === '23' || f.rightTypeName === '抵押权';
const isEasement = (f: RegistrationFacts) => f.rightType === '19' || f.rightTypeName === '地役权';
const isResidence = (f: RegistrationFacts) => f.rightTypeName?.includes('居住权') === true;

/** The decision table, first match wins; each row cites its clause. */
export const DOCUMENT_DECISION_TABLE: readonly Row[] = [
  {
    when: (f) => f.registrationType === '400',
    decide: {
      document: 'none',
      reason: '注销登记不生成电子证照（四川第六条）',
      reasonEn: 'Cancellation registrations produce no certificate (Sichuan Art. 6)',
    },
  },
  {
    when: (f) => f.registrationType === '800',
    decide: {
      document: 'none',
      reason: '查封登记不生成电子证照（四川第六条）',
      reasonEn: 'Seizure registrations produce no certificate (Sichuan Art. 6)',
    },
  },
  {
    when: (f) => f.registrationType === '700',
    decide: {
      document: 'registration-proof',
      matter: '预告登记',
      reason: '预告登记生成不动产登记证明（四川第五条）',
      reasonEn: 'Advance notice registration → proof (Sichuan Art. 5)',
    },
  },
  {
    when: (f) => f.registrationType === '600',
    decide: {
      document: 'registration-proof',
      matter: '异议登记',
      reason: '异议登记生成不动产登记证明（四川第五条）',
      reasonEn: 'Objection registration → proof (Sichuan Art. 5)',
    },
  },
  {
    when: isMortgage,
    decide: {
      document: 'registration-proof',
      matter: '抵押权',
      reason: '抵押权登记生成不动产登记证明（四川第五条）',
      reasonEn: 'Mortgage → proof (Sichuan Art. 5)',
    },
  },
  {
    when: isEasement,
    decide: {
      document: 'registration-proof',
      matter: '地役权',
      reason: '地役权登记生成不动产登记证明（四川第五条）',
      reasonEn: 'Easement → proof (Sichuan Art. 5)',
    },
  },
  {
    when: isResidence,
    decide: {
      document: 'registration-proof',
      matter: '居住权',
      reason: '居住权登记生成不动产登记证明（四川第五条）',
      reasonEn: 'Right of residence → proof (Sichuan Art. 5)',
    },
  },
  {
    when: () => true,
    decide: {
      document: 'property-certificate',
      reason: '其他登记事项生成不动产权证书（四川第六条）',
      reasonEn: 'Other registrations → property certificate (Sichuan Art. 6)',
    },
  },
];

export function decideDocument(f: RegistrationFacts): DocumentDecision {
  return DOCUMENT_DECISION_TABLE.find((r) => r.when(f))!.decide;
}
