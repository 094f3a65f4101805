/**
 * Who is acting: the principal every service call carries. Authorization rules are pure functions over it, scoped by
 * agency and region (Henan 三(一)4: accounts and permissions for each agency's staff; Nanyang Art. 12: a user sees
 * only the certificate of the specific person and matter).
 */
export const STAFF_ROLES = ['registrar', 'sealing-clerk', 'agency-admin', 'auditor', 'province-admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const STAFF_ROLE_NAMES: Record<StaffRole, { zh: string; en: string }> = {
  registrar: { zh: '登簿人员', en: 'Registrar' },
  'sealing-clerk': { zh: '缮证（签章）人员', en: 'Sealing clerk' },
  'agency-admin': { zh: '机构管理员', en: 'Agency administrator' },
  auditor: { zh: '审计人员', en: 'Auditor' },
  'province-admin': { zh: '省级管理员', en: 'Province administrator' },
};

/** 共享接口 (Henan 三(一)7): 检索 search, 下载 download, 信息获取 info, 信息验证 verify. */
export const SHARE_INTERFACES = ['search', 'download', 'info', 'verify'] as const;
export type ShareInterface = (typeof SHARE_INTERFACES)[number];
export const SHARE_INTERFACE_NAMES: Record<ShareInterface, string> = {
  search: '检索',
  download: '下载',
  info: '信息获取',
  verify: '信息验证',
};

export type Principal =
  | {
      readonly kind: 'staff';
      readonly userId: string;
      readonly agencyId: string;
      /** 行政区划代码 of the agency (scopes by region). */
      readonly regionCode: string;
      readonly roles: readonly StaffRole[];
      readonly sessionId: string;
      /** True when the session passed the second factor (TOTP). */
      readonly mfa: boolean;
    }
  | {
      readonly kind: 'holder';
      /** Keyed SM3 of the holder's ID number (never the number itself). */
      readonly holderKey: string;
      readonly sessionId: string;
    }
  | {
      /** A bank, tax office, court … calling under a sharing agreement (Sichuan Art. 16). */
      readonly kind: 'institution';
      readonly clientId: string;
      readonly agreementId: string;
      readonly agreementNo: string;
      readonly institutionName: string;
      /** Interfaces the agreement grants: 检索 search, 下载 download, 信息获取 info, 信息验证 verify. */
      readonly interfaces: readonly ShareInterface[];
      /** 证照类型 codes the agreement covers. */
      readonly certificateTypes: readonly string[];
      /** 行政区划代码 prefixes the agreement covers (e.g. `41` a province, `4115` a city). */
      readonly regionCodes: readonly string[];
      readonly validUntil: Date;
    }
  | {
      /** An agency's registration system (不动产登记系统) pushing entries, or another bdcert node. */
      readonly kind: 'system';
      readonly clientId: string;
      readonly agencyId?: string;
      readonly nodeId?: string;
    };

export function hasRole(p: Principal | undefined, role: StaffRole): boolean {
  return p?.kind === 'staff' && p.roles.includes(role);
}

/** Staff of the agency itself with the role, or a province admin. */
export function staffMayActFor(p: Principal | undefined, agencyId: string, role: StaffRole): boolean {
  if (p?.kind !== 'staff') return false;
  if (p.roles.includes('province-admin')) return true;
  return p.agencyId === agencyId && p.roles.includes(role);
}

/** Staff whose agency is in the region (code prefix), or a province admin. */
export function staffMayActInRegion(p: Principal | undefined, regionCode: string, role: StaffRole): boolean {
  if (p?.kind !== 'staff') return false;
  if (p.roles.includes('province-admin')) return true;
  return regionCode.startsWith(p.regionCode) && p.roles.includes(role);
}

/** Whether an institution's agreement covers this interface, certificate type and region (Sichuan Art. 16). */
export function agreementCovers(
  p: Principal | undefined,
  iface: ShareInterface,
  target?: { certificateType?: string; regionCode?: string },
  now: Date = new Date(),
): boolean {
  if (p?.kind !== 'institution') return false;
  if (p.validUntil.getTime() <= now.getTime()) return false;
  if (!p.interfaces.includes(iface)) return false;
  if (target?.certificateType !== undefined && !p.certificateTypes.includes(target.certificateType)) return false;
  if (target?.regionCode !== undefined && !p.regionCodes.some((r) => target.regionCode?.startsWith(r))) return false;
  return true;
}
