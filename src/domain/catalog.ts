import { type Problem, problem } from './problem.js';
import { checkUscc } from './validators/uscc.js';

/**
 * 证照目录 — the catalog items of Henan notice 附件1 for both certificate kinds, with their fixed values.
 */
export type CertificateKind = 'property-certificate' | 'registration-proof';

export const CERTIFICATE_KINDS: readonly CertificateKind[] = ['property-certificate', 'registration-proof'];

export const KIND_NAMES: Record<CertificateKind, { zh: string; en: string }> = {
  'property-certificate': { zh: '不动产权证书', en: 'Real estate title certificate' },
  'registration-proof': { zh: '不动产登记证明', en: 'Real estate registration proof' },
};

/** 证照目录状态 (附件1): 11 有效, −2 失效. */
export type CatalogStatus = 11 | -2;

export interface CatalogEntry {
  readonly kind: CertificateKind;
  readonly 证照名称: string;
  readonly 证照类型名称: string;
  readonly 证照类型代码: string;
  /** 0 自然人；1 法人；2 混合 — 附件1: 统一取值为“2”. */
  readonly 持证主体类别: '2';
  /** 0 批文；1 证照 — 附件1: 统一取值为“1”. */
  readonly 证照目录类别: '1';
  readonly 关联事项名称: '不动产统一登记';
  readonly 关联事项代码: '00071500100Y';
  readonly 有效期限范围: '长期';
  readonly 证照目录状态: CatalogStatus;
  readonly 证照定义机构: '中华人民共和国自然资源部';
  readonly 证照定义机构代码: '11100000MB03271699';
  readonly 证照定义机构级别: '国家级';
}

/** Items that depend on the issuing agency (附件1 “根据实际情况填写”). */
export interface CatalogAgencyItems {
  readonly 登记机构名称: string;
  readonly 登记机构代码: string;
  readonly 登记机构行政区划代码: string;
  readonly 登记机构级别: '国家级' | '省级' | '市级' | '县级';
}

export const PROPERTY_CERTIFICATE_TYPE_CODE = '11100000MB03271699001';
/**
 * 不动产登记证明 type code: `…002` per the Henan notice 附件1 (the default); other systems and most likely the
 * national catalogue use `…022` (standards.md §1.4) — hence configuration.
 */
export const DEFAULT_PROOF_TYPE_CODE = '11100000MB03271699002';
export const ALTERNATIVE_PROOF_TYPE_CODE = '11100000MB03271699022';

/** 证照定义机构代码 (附件1): the USCC of 中华人民共和国自然资源部, the first 18 characters of both type codes. */
export const DEFINING_AGENCY_USCC = '11100000MB03271699';

/**
 * A configured 不动产登记证明 type code (standards.md §1.4): 21 characters = the defining agency's USCC (18, its GB 32100
 * check character valid) + a 3-digit sequence, defined by 自然资源部 (附件1 证照定义机构代码), and not the 证书's `…001`.
 */
export function checkProofTypeCode(code: string, field = 'proofTypeCode'): Problem[] {
  if (!/^[0-9A-Z]{18}\d{3}$/.test(code))
    return [
      problem(
        'TYPE_CODE_FORMAT',
        '证照类型代码应为21位：证照定义机构统一社会信用代码（18位）加3位顺序码',
        'A type code is 21 characters: the defining agency USCC (18) and a 3-digit sequence',
        field,
      ),
    ];
  const uscc = checkUscc(code.slice(0, 18), field).filter((p) => p.severity === 'error');
  if (uscc.length) return uscc;
  if (!code.startsWith(DEFINING_AGENCY_USCC))
    return [
      problem(
        'TYPE_CODE_DEFINER',
        `证照类型代码须以证照定义机构（自然资源部）代码 ${DEFINING_AGENCY_USCC} 开头`,
        `The type code must start with the defining agency (Ministry of Natural Resources) code ${DEFINING_AGENCY_USCC}`,
        field,
      ),
    ];
  if (code === PROPERTY_CERTIFICATE_TYPE_CODE)
    return [
      problem(
        'TYPE_CODE_TAKEN',
        `${PROPERTY_CERTIFICATE_TYPE_CODE} 是不动产权证书的类型代码`,
        `${PROPERTY_CERTIFICATE_TYPE_CODE} is the property certificate's type code`,
        field,
      ),
    ];
  return [];
}

export interface CatalogConfig {
  readonly proofTypeCode: string;
}

export const DEFAULT_CATALOG_CONFIG: CatalogConfig = { proofTypeCode: DEFAULT_PROOF_TYPE_CODE };

export function typeCodeOf(kind: CertificateKind, cfg: CatalogConfig = DEFAULT_CATALOG_CONFIG): string {
  return kind === 'property-certificate' ? PROPERTY_CERTIFICATE_TYPE_CODE : cfg.proofTypeCode;
}

export function catalogEntry(
  kind: CertificateKind,
  cfg: CatalogConfig = DEFAULT_CATALOG_CONFIG,
  status: CatalogStatus = 11,
): CatalogEntry {
  const common = {
    kind,
    持证主体类别: '2',
    证照目录类别: '1',
    关联事项名称: '不动产统一登记',
    关联事项代码: '00071500100Y',
    有效期限范围: '长期',
    证照目录状态: status,
    证照定义机构: '中华人民共和国自然资源部',
    证照定义机构代码: '11100000MB03271699',
    证照定义机构级别: '国家级',
  } as const;
  return kind === 'property-certificate'
    ? {
        ...common,
        证照名称: '中华人民共和国不动产权证书',
        证照类型名称: '中华人民共和国不动产权证书',
        证照类型代码: PROPERTY_CERTIFICATE_TYPE_CODE,
      }
    : { ...common, 证照名称: '不动产登记证明', 证照类型名称: '不动产登记证明', 证照类型代码: cfg.proofTypeCode };
}
