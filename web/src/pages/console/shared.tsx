import { Link } from 'react-router';
import { api, type CertificateSummary, type StaffRole } from '../../api';
import { StatusTag } from '../../common';
import { fmtTime } from '../../i18n';

export type T = (zh: string, en: string) => string;

export interface Page<X> {
  total: number;
  items: X[];
}
export const search = (body: object) => api<Page<CertificateSummary>>('/api/v1/certificates/search', { body });

export const ROLE_NAMES = (t: T): Record<StaffRole, string> => ({
  registrar: t('登簿人员', 'Registrar'),
  'sealing-clerk': t('缮证（签章）人员', 'Sealing clerk'),
  'agency-admin': t('机构管理员', 'Agency admin'),
  auditor: t('审计人员', 'Auditor'),
  'province-admin': t('省级管理员', 'Province admin'),
});

/** The roles a page needs (the server's guards: a province admin passes every one). */
export function hasRole(roles: readonly StaffRole[], need: readonly StaffRole[] | undefined): boolean {
  return !need || roles.includes('province-admin') || need.some((r) => roles.includes(r));
}

/** TD/T 1066 登记类型 DJLX. */
export const REGISTRATION_TYPES: Record<string, [string, string]> = {
  '100': ['首次登记', 'First registration'],
  '200': ['转移登记', 'Transfer'],
  '300': ['变更登记', 'Change'],
  '400': ['注销登记', 'Cancellation'],
  '500': ['更正登记', 'Correction'],
  '600': ['异议登记', 'Objection'],
  '700': ['预告登记', 'Advance notice'],
  '800': ['查封登记', 'Seizure'],
  '900': ['其他登记', 'Other'],
};
export function registrationTypeName(code: string, t: T): string {
  const n = REGISTRATION_TYPES[code];
  return n ? t(`${n[0]}（${code}）`, `${n[1]} (${code})`) : code;
}
export const DOCUMENT_NAMES = (t: T): Record<string, string> => ({
  'property-certificate': t('不动产权证书', 'Property certificate'),
  'registration-proof': t('不动产登记证明', 'Registration proof'),
  none: t('不出证', 'No document'),
});

export function certColumns(t: T) {
  return [
    {
      title: t('证号', 'Certificate no.'),
      dataIndex: 'certificateNo',
      render: (v: string, r: CertificateSummary) => <Link to={`/console/certificates/${r.id}`}>{v}</Link>,
    },
    { title: t('权利人（脱敏）', 'Holders (masked)'), dataIndex: 'holders' },
    { title: t('坐落', 'Location'), dataIndex: 'location', ellipsis: true },
    { title: t('状态', 'Status'), render: (_: unknown, r: CertificateSummary) => <StatusTag c={r} /> },
    { title: t('领用时间', 'Collected'), dataIndex: 'collectedAt', render: fmtTime },
  ];
}

/** A per-second rate from two progress samples (items done, at ms). */
export function rate(a: { n: number; at: number } | undefined, b: { n: number; at: number }): number | undefined {
  if (!a || b.at <= a.at) return undefined;
  return ((b.n - a.n) * 1000) / (b.at - a.at);
}
