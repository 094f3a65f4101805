import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { FieldCrypto } from '../context.js';
import type { RealNamePort } from '../integrations/realname/realname.js';
import type { SmsPort } from '../integrations/sms/sms.js';

/** What the identity services need; built once by `createIdentity`. */
export interface IdentityDeps {
  readonly db: Kysely<Database>;
  readonly fieldCrypto: FieldCrypto;
  readonly now: () => Date;
  readonly mode: 'demo' | 'production';
  readonly sms: SmsPort;
  readonly realName: RealNamePort;
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  readonly policy?: Partial<IdentityPolicy>;
}

export interface IdentityPolicy {
  /** Staff session: absolute lifetime and idle timeout. */
  readonly staffSessionMs: number;
  readonly staffIdleMs: number;
  readonly holderSessionMs: number;
  /** Consecutive failures before the account locks, and for how long. */
  readonly maxFailures: number;
  readonly lockMs: number;
  readonly smsCodeTtlMs: number;
  readonly smsMaxAttempts: number;
  /** SMS codes per holder per hour. */
  readonly smsPerHour: number;
  /** Failed sign-ins from one address within `ipWindowMs` before it is throttled (any account). */
  readonly ipMaxFailures: number;
  readonly ipWindowMs: number;
  /** Staff must pass TOTP; in demo mode users without TOTP enrolled may skip it. */
  readonly requireTotp: boolean;
}

export function policyOf(d: IdentityDeps): IdentityPolicy {
  return {
    staffSessionMs: 12 * 3600_000,
    staffIdleMs: 30 * 60_000,
    holderSessionMs: 30 * 60_000,
    maxFailures: 5,
    lockMs: 15 * 60_000,
    smsCodeTtlMs: 5 * 60_000,
    smsMaxAttempts: 5,
    smsPerHour: 5,
    ipMaxFailures: 30,
    ipWindowMs: 15 * 60_000,
    requireTotp: d.mode === 'production',
    ...d.policy,
  };
}
