import type { CatalogStatus } from './catalog.js';
import { DomainError } from './problem.js';

/**
 * Certificate life cycle (DESIGN.md; Huangchuan 2.1–2.5, 4.2–4.3; Nanyang Art. 9: 变更、延续、吊销、注销、废止、挂起、质押).
 *
 *   draft ─render→ pending-seal ─seal→ issued ─collect→ (issued, collected)
 *   issued ─supersede→ superseded (a new registration on the same unit/right; Sichuan Art. 10, Huangchuan 4.2)
 *   issued|suspended ─cancel→ cancelled (注销) · ─revoke→ revoked (吊销) · ─void→ voided (废止)
 *   issued ─suspend→ suspended ─resume→ issued (挂起/恢复)
 *   pending-seal|issued (never collected) ─rollback→ rolled-back (Huangchuan 4.3: 回退, reissued as version+1)
 *   issued: pledge/release (质押 marker), renew (延续), change (变更) keep the state and are recorded as events.
 */
export type CertificateStatus =
  | 'draft'
  | 'pending-seal'
  | 'issued'
  | 'suspended'
  | 'superseded'
  | 'cancelled'
  | 'revoked'
  | 'voided'
  | 'rolled-back';

export interface LifecycleState {
  readonly status: CertificateStatus;
  /** 领用: the first download (Huangchuan 2.2). */
  readonly collected: boolean;
  /** 质押 marker (Nanyang Art. 9). */
  readonly pledged: boolean;
}

export type LifecycleEvent =
  | 'render'
  | 'seal'
  | 'collect'
  | 'supersede'
  | 'cancel'
  | 'revoke'
  | 'void'
  | 'suspend'
  | 'resume'
  | 'rollback'
  | 'pledge'
  | 'release-pledge'
  | 'renew'
  | 'change';

export const STATUS_NAMES: Record<CertificateStatus, { zh: string; en: string }> = {
  draft: { zh: '草稿', en: 'Draft' },
  'pending-seal': { zh: '待签章', en: 'Pending seal' },
  issued: { zh: '有效', en: 'Valid' },
  suspended: { zh: '已挂起', en: 'Suspended' },
  superseded: { zh: '已注销', en: 'Cancelled (superseded)' },
  cancelled: { zh: '已注销', en: 'Cancelled' },
  revoked: { zh: '已吊销', en: 'Revoked' },
  voided: { zh: '已废止', en: 'Voided' },
  'rolled-back': { zh: '已回退作废', en: 'Rolled back' },
};

export const EVENT_NAMES: Record<LifecycleEvent, { zh: string; en: string }> = {
  render: { zh: '生成', en: 'render' },
  seal: { zh: '签章', en: 'seal' },
  collect: { zh: '领用', en: 'collect' },
  supersede: { zh: '因新登记注销', en: 'supersede' },
  cancel: { zh: '注销', en: 'cancel' },
  revoke: { zh: '吊销', en: 'revoke' },
  void: { zh: '废止', en: 'void' },
  suspend: { zh: '挂起', en: 'suspend' },
  resume: { zh: '恢复', en: 'resume' },
  rollback: { zh: '回退', en: 'roll back' },
  pledge: { zh: '质押', en: 'pledge' },
  'release-pledge': { zh: '解除质押', en: 'release pledge' },
  renew: { zh: '延续', en: 'renew' },
  change: { zh: '变更', en: 'change' },
};

export const INITIAL_STATE: LifecycleState = { status: 'draft', collected: false, pledged: false };

type Rule = (s: LifecycleState) => LifecycleState | undefined;

const RULES: Record<LifecycleEvent, Rule> = {
  render: (s) => (s.status === 'draft' ? { ...s, status: 'pending-seal' } : undefined),
  seal: (s) => (s.status === 'pending-seal' ? { ...s, status: 'issued' } : undefined),
  // Downloads may repeat; the collection time is the first one (Huangchuan 2.2), so collecting twice changes nothing.
  collect: (s) => (s.status === 'issued' ? { ...s, collected: true } : undefined),
  supersede: (s) => (s.status === 'issued' || s.status === 'suspended' ? { ...s, status: 'superseded' } : undefined),
  cancel: (s) => (s.status === 'issued' || s.status === 'suspended' ? { ...s, status: 'cancelled' } : undefined),
  revoke: (s) => (s.status === 'issued' || s.status === 'suspended' ? { ...s, status: 'revoked' } : undefined),
  void: (s) => (s.status === 'issued' || s.status === 'suspended' ? { ...s, status: 'voided' } : undefined),
  suspend: (s) => (s.status === 'issued' ? { ...s, status: 'suspended' } : undefined),
  resume: (s) => (s.status === 'suspended' ? { ...s, status: 'issued' } : undefined),
  // Huangchuan 4.3: roll back only what the holder never downloaded; otherwise correction registration + cancel.
  rollback: (s) =>
    (s.status === 'pending-seal' || s.status === 'issued') && !s.collected
      ? { ...s, status: 'rolled-back' }
      : undefined,
  pledge: (s) => (s.status === 'issued' && !s.pledged ? { ...s, pledged: true } : undefined),
  'release-pledge': (s) => (s.status === 'issued' && s.pledged ? { ...s, pledged: false } : undefined),
  renew: (s) => (s.status === 'issued' ? s : undefined),
  change: (s) => (s.status === 'issued' ? s : undefined),
};

export function canTransition(s: LifecycleState, e: LifecycleEvent): boolean {
  return RULES[e](s) !== undefined;
}

/** The next state, or a DomainError `ILLEGAL_TRANSITION` naming both. */
export function transition(s: LifecycleState, e: LifecycleEvent): LifecycleState {
  const next = RULES[e](s);
  if (!next) {
    const why =
      e === 'rollback' && s.collected
        ? {
            zh: '权利人已下载的证照不能回退，须办理更正登记后注销重发',
            en: 'A collected certificate cannot be rolled back; use a correction registration',
          }
        : undefined;
    throw new DomainError(
      'ILLEGAL_TRANSITION',
      why?.zh ?? `证照状态为「${STATUS_NAMES[s.status].zh}」，不能执行「${EVENT_NAMES[e].zh}」`,
      why?.en ?? `A certificate in status "${STATUS_NAMES[s.status].en}" cannot ${EVENT_NAMES[e].en}`,
      'status',
    );
  }
  return next;
}

/** 证照目录状态 of a certificate (附件1): 11 有效 only while issued. */
export function catalogStatusOf(s: CertificateStatus): CatalogStatus {
  return s === 'issued' ? 11 : -2;
}

export const TERMINAL_STATUSES: readonly CertificateStatus[] = [
  'superseded',
  'cancelled',
  'revoked',
  'voided',
  'rolled-back',
];
