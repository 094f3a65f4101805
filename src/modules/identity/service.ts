import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { sm2 } from 'sm-crypto-v2';
import type { Principal, StaffRole } from '../../domain/access.js';
import { ApiError } from '../../http/errors.js';
import { type AuditEntryInput, actorOf, recordAudit } from '../audit/audit.js';
import { maskPhone } from '../privacy/mask.js';
import { type IdentityDeps, type IdentityPolicy, policyOf } from './deps.js';
import { accountDisabled, accountLocked, invalidCredentials, notFound, wrongTotp } from './errors.js';
import { burnPasswordCheck, generatePassword, hashPassword, passwordWeakness, verifyPassword } from './passwords.js';
import { createSession, revokeSession, revokeUserSessions, tokenHash } from './sessions.js';
import type { StaffUserTable } from './tables.js';
import { checkTotp, newTotpSecret, totpUri } from './totp.js';

export interface RequestMeta {
  readonly ip?: string;
  readonly requestId?: string;
}

export interface StaffUserView {
  readonly id: string;
  readonly agencyId: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly StaffRole[];
  readonly totpEnabled: boolean;
  readonly locked: boolean;
  readonly disabled: boolean;
  readonly lastLoginAt: Date | null;
  readonly createdAt: Date;
}

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: Date;
  /** The session is limited to TOTP until the code is given (or enrolment, when none is set up yet). */
  readonly next: 'done' | 'totp' | 'totp-enrol';
}

export type ClientAuthResult =
  | { readonly ok: true; readonly principal: Extract<Principal, { kind: 'institution' }> }
  | {
      readonly ok: false;
      readonly reason:
        | 'UNKNOWN_CLIENT'
        | 'BAD_SECRET'
        | 'BAD_SIGNATURE'
        | 'STALE_REQUEST'
        | 'REPLAYED_REQUEST'
        | 'NO_AGREEMENT'
        | 'AGREEMENT_EXPIRED';
    };

/** What an institution signs: scheme, method, path with query, timestamp, nonce and the SM3 of the body. */
export interface SignedRequest {
  readonly clientId: string;
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/api/v1/share/search?x=1`. */
  readonly url: string;
  /** ISO 8601. */
  readonly timestamp: string;
  readonly nonce: string;
  /** SM3 hex of the raw body (of the empty string when there is none). */
  readonly bodySm3: string;
  /** DER signature, hex. */
  readonly signatureHex: string;
}

export const SIGNED_REQUEST_SCHEME = 'BDC-SM2-SM3';
/** How long a step-up keeps a session elevated (issue 8: confirm batch sealing with the second factor). */
export const STEP_UP_MS = 5 * 60_000;
export const SIGNED_REQUEST_WINDOW_MS = 5 * 60_000;

export function signedRequestString(r: Omit<SignedRequest, 'signatureHex'>): string {
  return [SIGNED_REQUEST_SCHEME, r.method.toUpperCase(), r.url, r.timestamp, r.nonce, r.bodySm3, r.clientId].join('\n');
}

function isSm2PublicKeyHex(hex: string): boolean {
  if (!/^04[0-9a-fA-F]{128}$/.test(hex)) return false;
  try {
    return sm2.verifyPublicKey(hex.toLowerCase());
  } catch {
    return false;
  }
}

type Row = Pick<
  StaffUserTable,
  'id' | 'agency_id' | 'username' | 'display_name' | 'password_hash' | 'totp_secret_enc' | 'totp_last_step'
> & {
  roles: StaffRole[];
  totp_enabled: boolean;
  failed_attempts: number;
  locked_until: Date | null;
  disabled: boolean;
  last_login_at: Date | null;
  created_at: Date;
};

const sm3 = (s: string) => createHash('sm3').update(s, 'utf8').digest('hex');

/**
 * Identity and access (issue 7 §1; Henan 三(一)4: accounts and permissions for each agency's staff; Nanyang Art. 20:
 * strong identity authentication; Sichuan Art. 11: identity authentication for download and use). Every sign-in,
 * failure, lockout and account change is written to the audit log in the same transaction.
 */
export class IdentityService {
  readonly policy: IdentityPolicy;
  constructor(readonly deps: IdentityDeps) {
    this.policy = policyOf(deps);
  }

  private get db() {
    return this.deps.db;
  }
  private now(): Date {
    return this.deps.now();
  }

  // ---------- sessions → principals ----------

  /** The principal of a session token, or undefined when unknown, expired, revoked or the account is disabled. */
  async principalForToken(token: string): Promise<Principal | undefined> {
    if (token.length < 20 || token.length > 200) return undefined;
    const now = this.now();
    const s = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash(token))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('idle_expires_at', '>', now)
      .executeTakeFirst();
    if (!s) return undefined;
    // Sliding idle timeout, written at most once a minute per session.
    const idleMs = s.kind === 'staff' ? this.policy.staffIdleMs : this.policy.holderSessionMs;
    const nextIdle = new Date(Math.min(new Date(s.expires_at).getTime(), now.getTime() + idleMs));
    if (nextIdle.getTime() - new Date(s.idle_expires_at).getTime() > 60_000)
      await this.db.updateTable('sessions').set({ idle_expires_at: nextIdle }).where('id', '=', s.id).execute();
    if (s.kind === 'holder') {
      return s.holder_key ? { kind: 'holder', holderKey: s.holder_key, sessionId: s.id } : undefined;
    }
    if (!s.user_id) return undefined;
    const u = await this.db
      .selectFrom('staff_users')
      .innerJoin('agencies', 'agencies.id', 'staff_users.agency_id')
      .select([
        'staff_users.id',
        'staff_users.agency_id',
        'staff_users.roles',
        'staff_users.disabled',
        'agencies.region_code',
      ])
      .where('staff_users.id', '=', s.user_id)
      .executeTakeFirst();
    if (!u || u.disabled) return undefined;
    return {
      kind: 'staff',
      userId: u.id,
      agencyId: u.agency_id,
      regionCode: u.region_code,
      roles: u.roles,
      sessionId: s.id,
      mfa: s.mfa,
    };
  }

  async logout(p: Principal, meta: RequestMeta): Promise<void> {
    if (p.kind !== 'staff' && p.kind !== 'holder') return;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('sessions')
        .set({ revoked_at: this.now() })
        .where('id', '=', p.sessionId)
        .where('revoked_at', 'is', null)
        .execute();
      await recordAudit(trx, { actor: actorOf(p), action: 'auth.logout', result: 'success', ...meta });
    });
  }

  // ---------- staff sign-in ----------

  private async findByUsername(username: string): Promise<Row | undefined> {
    return this.db.selectFrom('staff_users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  private async audit(e: Omit<AuditEntryInput, 'at'>): Promise<void> {
    await recordAudit(this.db, { ...e, at: this.now() });
  }

  /** Counts a failure; locks the account on the Nth consecutive one. Returns the lock end when it locked. */
  private async countFailure(
    u: Row,
    meta: RequestMeta,
    action: string,
    reason = 'BAD_CREDENTIALS',
  ): Promise<Date | undefined> {
    const now = this.now();
    const failures = u.failed_attempts + 1;
    const lockUntil = failures >= this.policy.maxFailures ? new Date(now.getTime() + this.policy.lockMs) : undefined;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({
          failed_attempts: lockUntil ? 0 : failures,
          ...(lockUntil ? { locked_until: lockUntil } : {}),
          updated_at: now,
        })
        .where('id', '=', u.id)
        .execute();
      await recordAudit(trx, {
        actor: { kind: 'staff', id: u.id, agencyId: u.agency_id },
        action,
        result: 'denied',
        reason: lockUntil ? 'LOCKED_NOW' : reason,
        details: { failures },
        at: now,
        ...meta,
      });
    });
    return lockUntil;
  }

  /** Too many failed sign-ins from this address lately, whatever the accounts (password spraying)? */
  private async ipThrottled(action: string, meta: RequestMeta, holderKey?: string): Promise<void> {
    if (!meta.ip) return;
    const since = new Date(this.now().getTime() - this.policy.ipWindowMs);
    const r = await this.db
      .selectFrom('audit.entries')
      .select(sql<string>`count(*)::text`.as('n'))
      .where('ip', '=', meta.ip)
      .where('at', '>', since)
      .where('result', '=', 'denied')
      .where('action', 'in', ['auth.login', 'auth.totp', 'auth.holder-login'])
      .executeTakeFirstOrThrow();
    if (Number(r.n) < this.policy.ipMaxFailures) return;
    await this.audit({
      actor: { kind: 'anonymous' },
      action,
      result: 'denied',
      reason: 'IP_THROTTLED',
      ...(holderKey ? { holderKey } : {}),
      ...meta,
    });
    throw new ApiError(
      'RATE_LIMITED',
      '登录失败次数过多，请稍后再试',
      'Too many failed sign-ins from this address; try later',
    );
  }

  async loginStaff(input: { username: string; password: string }, meta: RequestMeta): Promise<LoginResult> {
    const now = this.now();
    await this.ipThrottled('auth.login-throttled', meta);
    const u = await this.findByUsername(input.username);
    if (!u) {
      await burnPasswordCheck(input.password);
      await this.audit({
        actor: { kind: 'anonymous' },
        action: 'auth.login',
        result: 'denied',
        reason: 'UNKNOWN_USER',
        details: { username: input.username.slice(0, 64) },
        ...meta,
      });
      throw invalidCredentials();
    }
    const actor = { kind: 'staff', id: u.id, agencyId: u.agency_id } as const;
    if (u.locked_until && new Date(u.locked_until).getTime() > now.getTime()) {
      await this.audit({ actor, action: 'auth.login', result: 'denied', reason: 'LOCKED', ...meta });
      throw accountLocked(new Date(u.locked_until));
    }
    if (!(await verifyPassword(u.password_hash, input.password))) {
      const lockedUntil = await this.countFailure(u, meta, 'auth.login');
      throw lockedUntil ? accountLocked(lockedUntil) : invalidCredentials();
    }
    if (u.disabled) {
      await this.audit({ actor, action: 'auth.login', result: 'denied', reason: 'DISABLED', ...meta });
      throw accountDisabled();
    }
    const next: LoginResult['next'] = u.totp_enabled ? 'totp' : this.policy.requireTotp ? 'totp-enrol' : 'done';
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ failed_attempts: 0, locked_until: null, ...(next === 'done' ? { last_login_at: now } : {}) })
        .where('id', '=', u.id)
        .execute();
      const s = await createSession(
        trx,
        {
          kind: 'staff',
          userId: u.id,
          mfa: next === 'done',
          lifetimeMs: next === 'done' ? this.policy.staffSessionMs : 10 * 60_000, // a half-signed-in session is short
          idleMs: next === 'done' ? this.policy.staffIdleMs : 10 * 60_000,
          ...(meta.ip ? { ip: meta.ip } : {}),
        },
        now,
      );
      await recordAudit(trx, {
        actor,
        action: 'auth.login',
        result: 'success',
        details: { next },
        objectType: 'session',
        objectId: s.id,
        at: now,
        ...meta,
      });
      return { token: s.token, expiresAt: s.expiresAt, next };
    });
  }

  /** Second step: the TOTP code upgrades the session to a full one (new token, the half session is revoked). */
  async verifyStaffTotp(p: Principal, code: string, meta: RequestMeta): Promise<LoginResult> {
    if (p.kind !== 'staff') throw notFound();
    const u = await this.db.selectFrom('staff_users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
    const now = this.now();
    const actor = actorOf(p);
    if (u.locked_until && new Date(u.locked_until).getTime() > now.getTime()) {
      await this.audit({ actor, action: 'auth.totp', result: 'denied', reason: 'LOCKED', ...meta });
      throw accountLocked(new Date(u.locked_until));
    }
    if (!u.totp_secret_enc) throw new ApiError('CONFLICT', '尚未设置动态验证码', 'No TOTP is set up yet');
    const step = checkTotp(this.deps.fieldCrypto.decrypt(u.totp_secret_enc), code, now);
    if (step === undefined || (u.totp_last_step !== null && step <= u.totp_last_step)) {
      const lockedUntil = await this.countFailure(u, meta, 'auth.totp');
      if (lockedUntil) await revokeSession(this.db, p.sessionId, now);
      throw lockedUntil ? accountLocked(lockedUntil) : wrongTotp();
    }
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ totp_last_step: step, totp_enabled: true, failed_attempts: 0, last_login_at: now, updated_at: now })
        .where('id', '=', u.id)
        .execute();
      await trx.updateTable('sessions').set({ revoked_at: now }).where('id', '=', p.sessionId).execute();
      const s = await createSession(
        trx,
        {
          kind: 'staff',
          userId: u.id,
          mfa: true,
          lifetimeMs: this.policy.staffSessionMs,
          idleMs: this.policy.staffIdleMs,
          ...(meta.ip ? { ip: meta.ip } : {}),
        },
        now,
      );
      await recordAudit(trx, {
        actor,
        action: u.totp_enabled ? 'auth.totp' : 'auth.totp-enrol',
        result: 'success',
        objectType: 'session',
        objectId: s.id,
        at: now,
        ...meta,
      });
      return { token: s.token, expiresAt: s.expiresAt, next: 'done' };
    });
  }

  // ---------- step-up: a fresh second factor for sensitive acts ----------

  /**
   * Step-up for batch sealing (issue 8 "confirm with the second factor"; Henan 三(一)5: the authorised clerk seals;
   * Nanyang Art. 17: strong identity authentication): the current TOTP code — replay-protected by the same last-step rule as
   * sign-in — or, only where the policy lets an account go without TOTP (demo mode), the password. Failures count
   * toward the sign-in lockout; the lock also ends this session, as a guessed code must not keep a stolen session
   * alive. Success elevates this session only, for `STEP_UP_MS`.
   */
  async stepUp(p: Principal, code: string, meta: RequestMeta): Promise<{ elevatedUntil: Date }> {
    if (p.kind !== 'staff') throw notFound();
    const u = await this.db.selectFrom('staff_users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
    const now = this.now();
    const actor = actorOf(p);
    const refuse = async (reason: string, error: ApiError): Promise<never> => {
      const lockedUntil = await this.countFailure(u, meta, 'auth.step-up', reason);
      if (lockedUntil) await revokeSession(this.db, p.sessionId, now);
      throw lockedUntil ? accountLocked(lockedUntil) : error;
    };
    if (u.locked_until && new Date(u.locked_until).getTime() > now.getTime()) {
      await this.audit({ actor, action: 'auth.step-up', result: 'denied', reason: 'LOCKED', ...meta });
      throw accountLocked(new Date(u.locked_until));
    }
    let step: number | undefined;
    let factor: 'totp' | 'password';
    if (u.totp_enabled && u.totp_secret_enc) {
      factor = 'totp';
      step = checkTotp(this.deps.fieldCrypto.decrypt(u.totp_secret_enc), code, now);
      if (step === undefined) return refuse('BAD_CODE', wrongTotp());
      // The code of the sign-in (or of an earlier step-up) is not accepted a second time.
      if (u.totp_last_step !== null && step <= u.totp_last_step)
        return refuse(
          'REPLAYED_CODE',
          new ApiError(
            'UNAUTHENTICATED',
            '该动态验证码已使用，请等待下一个验证码',
            'That code was already used; wait for the next one',
            'code',
          ),
        );
    } else if (this.policy.requireTotp) {
      // Production: every staff account has TOTP (sign-in enforces enrolment); a password is never a second factor.
      await this.audit({ actor, action: 'auth.step-up', result: 'denied', reason: 'TOTP_NOT_ENROLLED', ...meta });
      throw new ApiError(
        'FORBIDDEN',
        '须先绑定动态验证码才能进行二次验证',
        'Enrol an authenticator (TOTP) first: it is the second factor here',
        'code',
      );
    } else {
      factor = 'password';
      if (!(await verifyPassword(u.password_hash, code)))
        return refuse('BAD_CREDENTIALS', new ApiError('UNAUTHENTICATED', '密码错误', 'Wrong password', 'code'));
    }
    const elevatedUntil = new Date(now.getTime() + STEP_UP_MS);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ failed_attempts: 0, ...(step !== undefined ? { totp_last_step: step } : {}), updated_at: now })
        .where('id', '=', u.id)
        .execute();
      const r = await trx
        .updateTable('sessions')
        .set({ elevated_until: elevatedUntil })
        .where('id', '=', p.sessionId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw notFound();
      await recordAudit(trx, {
        actor,
        action: 'auth.step-up',
        result: 'success',
        objectType: 'session',
        objectId: p.sessionId,
        details: { factor, elevatedUntil: elevatedUntil.toISOString() },
        at: now,
        ...meta,
      });
    });
    return { elevatedUntil };
  }

  /** Until when this session is elevated by a step-up; undefined when it is not (or no longer). */
  async elevatedUntil(p: Principal): Promise<Date | undefined> {
    if (p.kind !== 'staff') return undefined;
    const s = await this.db
      .selectFrom('sessions')
      .select('elevated_until')
      .where('id', '=', p.sessionId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const until = s?.elevated_until ? new Date(s.elevated_until) : undefined;
    return until && until.getTime() > this.now().getTime() ? until : undefined;
  }

  /**
   * Starts TOTP enrolment: a new secret (stored encrypted) the user adds to an authenticator app; it takes effect when
   * `verifyStaffTotp` accepts a first code. Refused once TOTP is active (an admin resets it).
   */
  async beginTotpEnrolment(p: Principal, meta: RequestMeta): Promise<{ secret: string; uri: string }> {
    if (p.kind !== 'staff') throw notFound();
    const u = await this.db.selectFrom('staff_users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
    if (u.totp_enabled)
      throw new ApiError(
        'CONFLICT',
        '动态验证码已启用，如需更换请联系管理员重置',
        'TOTP is already active; ask an admin to reset it',
      );
    const secret = newTotpSecret();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ totp_secret_enc: this.deps.fieldCrypto.encrypt(secret), totp_last_step: null, updated_at: this.now() })
        .where('id', '=', u.id)
        .execute();
      await recordAudit(trx, { actor: actorOf(p), action: 'auth.totp-enrol-start', result: 'success', ...meta });
    });
    return { secret, uri: totpUri(secret, u.username) };
  }

  async changeOwnPassword(p: Principal, oldPassword: string, newPassword: string, meta: RequestMeta): Promise<void> {
    if (p.kind !== 'staff') throw notFound();
    const u = await this.db.selectFrom('staff_users').selectAll().where('id', '=', p.userId).executeTakeFirstOrThrow();
    if (!(await verifyPassword(u.password_hash, oldPassword))) {
      await this.countFailure(u, meta, 'auth.password-change');
      throw invalidCredentials();
    }
    const weak = passwordWeakness(newPassword, u.username);
    if (weak) throw new ApiError('VALIDATION_FAILED', weak[0], weak[1], 'newPassword');
    const hash = await hashPassword(newPassword);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ password_hash: hash, updated_at: this.now() })
        .where('id', '=', u.id)
        .execute();
      // Other sessions end; this one stays.
      await trx
        .updateTable('sessions')
        .set({ revoked_at: this.now() })
        .where('user_id', '=', u.id)
        .where('id', '!=', p.sessionId)
        .where('revoked_at', 'is', null)
        .execute();
      await recordAudit(trx, { actor: actorOf(p), action: 'auth.password-change', result: 'success', ...meta });
    });
  }

  // ---------- staff accounts (agency admin) ----------

  private view(u: Row): StaffUserView {
    return {
      id: u.id,
      agencyId: u.agency_id,
      username: u.username,
      displayName: u.display_name,
      roles: u.roles,
      totpEnabled: u.totp_enabled,
      locked: !!u.locked_until && new Date(u.locked_until).getTime() > this.now().getTime(),
      disabled: u.disabled,
      lastLoginAt: u.last_login_at ? new Date(u.last_login_at) : null,
      createdAt: new Date(u.created_at),
    };
  }

  async getStaffUser(id: string): Promise<StaffUserView | undefined> {
    const u = await this.db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
    return u ? this.view(u) : undefined;
  }

  async listStaffUsers(agencyId: string): Promise<StaffUserView[]> {
    const rows = await this.db
      .selectFrom('staff_users')
      .selectAll()
      .where('agency_id', '=', agencyId)
      .orderBy('username')
      .execute();
    return rows.map((u) => this.view(u));
  }

  /** Creates a staff user; without a password one is generated and returned once. */
  async createStaffUser(
    input: { agencyId: string; username: string; displayName: string; roles: readonly StaffRole[]; password?: string },
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
  ): Promise<{ user: StaffUserView; password: string }> {
    const password = input.password ?? generatePassword();
    const weak = passwordWeakness(password, input.username);
    if (weak) throw new ApiError('VALIDATION_FAILED', weak[0], weak[1], 'password');
    const agency = await this.db
      .selectFrom('agencies')
      .select('id')
      .where('id', '=', input.agencyId)
      .executeTakeFirst();
    if (!agency) throw new ApiError('NOT_FOUND', '登记机构不存在', 'No such agency', 'agencyId');
    const hash = await hashPassword(password);
    const id = randomUUID();
    const now = this.now();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('staff_users')
          .values({
            id,
            agency_id: input.agencyId,
            username: input.username,
            display_name: input.displayName,
            roles: JSON.stringify([...new Set(input.roles)]),
            password_hash: hash,
            totp_secret_enc: null,
            totp_last_step: null,
            locked_until: null,
            last_login_at: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await recordAudit(trx, {
          actor,
          action: 'staff-user.create',
          objectType: 'staff-user',
          objectId: id,
          result: 'success',
          details: { username: input.username, roles: [...input.roles], agencyId: input.agencyId },
          at: now,
          ...meta,
        });
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505')
        throw new ApiError('CONFLICT', '用户名已存在', 'The user name is taken', 'username');
      throw e;
    }
    const user = await this.getStaffUser(id);
    if (!user) throw new Error('created user vanished');
    return { user, password };
  }

  async updateStaffUser(
    id: string,
    patch: {
      displayName?: string;
      roles?: readonly StaffRole[];
      disabled?: boolean;
      unlock?: boolean;
      resetTotp?: boolean;
    },
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
  ): Promise<StaffUserView> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({
          ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
          ...(patch.roles !== undefined ? { roles: JSON.stringify([...new Set(patch.roles)]) } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.unlock ? { locked_until: null, failed_attempts: 0 } : {}),
          ...(patch.resetTotp ? { totp_enabled: false, totp_secret_enc: null, totp_last_step: null } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      // Fewer rights or a disabled account take effect at once.
      if (patch.disabled || patch.roles !== undefined || patch.resetTotp) await revokeUserSessions(trx, id, now);
      await recordAudit(trx, {
        actor,
        action: 'staff-user.update',
        objectType: 'staff-user',
        objectId: id,
        result: 'success',
        details: { ...patch, roles: patch.roles ? [...patch.roles] : undefined },
        at: now,
        ...meta,
      });
    });
    const u = await this.getStaffUser(id);
    if (!u) throw notFound();
    return u;
  }

  /** Sets a new random password (returned once), unlocks the account and ends its sessions. */
  async resetStaffPassword(
    id: string,
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
    password: string = generatePassword(),
  ): Promise<string> {
    const u = await this.db
      .selectFrom('staff_users')
      .select(['id', 'username'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!u) throw notFound();
    const weak = passwordWeakness(password, u.username);
    if (weak) throw new ApiError('VALIDATION_FAILED', weak[0], weak[1], 'password');
    const hash = await hashPassword(password);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_users')
        .set({ password_hash: hash, locked_until: null, failed_attempts: 0, updated_at: now })
        .where('id', '=', id)
        .execute();
      await revokeUserSessions(trx, id, now);
      await recordAudit(trx, {
        actor,
        action: 'staff-user.password-reset',
        objectType: 'staff-user',
        objectId: id,
        result: 'success',
        at: now,
        ...meta,
      });
    });
    return password;
  }

  // ---------- holders: ID number + SMS code behind real-name verification ----------

  /**
   * Step 1: real-name check of name + ID number + phone (Sichuan Art. 11), then a 6-digit code by SMS. The answer
   * never says whether the person exists beyond "verification failed". `demoCode` is only set for the SMS simulator
   * in demo mode.
   */
  async startHolderSms(
    input: { idNumber: string; name: string; phone: string },
    meta: RequestMeta,
  ): Promise<{ challengeId: string; expiresAt: Date; maskedPhone: string; demoCode?: string }> {
    const now = this.now();
    const holderKey = this.deps.fieldCrypto.index(input.idNumber);
    const recent = await this.db
      .selectFrom('holder_sms_challenges')
      .select(sql<string>`count(*)::text`.as('n'))
      .where('holder_key', '=', holderKey)
      .where('created_at', '>', new Date(now.getTime() - 3600_000))
      .executeTakeFirstOrThrow();
    if (Number(recent.n) >= this.policy.smsPerHour) {
      await this.audit({
        actor: { kind: 'anonymous' },
        action: 'auth.holder-sms',
        holderKey,
        result: 'denied',
        reason: 'RATE_LIMITED',
        ...meta,
      });
      throw new ApiError('RATE_LIMITED', '验证码发送过于频繁，请稍后再试', 'Too many codes requested; try again later');
    }
    const rn = await this.deps.realName.verify({ name: input.name, idNumber: input.idNumber, phone: input.phone });
    if (!rn.ok) {
      await this.audit({
        actor: { kind: 'anonymous' },
        action: 'auth.holder-sms',
        holderKey,
        result: 'denied',
        reason: `REALNAME_${rn.reason}`,
        ...meta,
      });
      if (rn.reason === 'UNAVAILABLE')
        throw new ApiError('NOT_READY', '实名核验服务暂不可用', 'The real-name verification service is unavailable');
      throw new ApiError('UNAUTHENTICATED', '实名核验未通过', 'Real-name verification failed');
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + this.policy.smsCodeTtlMs);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('holder_sms_challenges')
        .values({
          id,
          holder_key: holderKey,
          name_enc: this.deps.fieldCrypto.encrypt(input.name),
          code_hash: sm3(`${id}:${code}`),
          expires_at: expiresAt,
          consumed_at: null,
          created_at: now,
        })
        .execute();
      await recordAudit(trx, {
        actor: { kind: 'anonymous' },
        action: 'auth.holder-sms',
        holderKey,
        result: 'success',
        objectType: 'sms-challenge',
        objectId: id,
        at: now,
        ...meta,
      });
    });
    try {
      await this.deps.sms.send(
        input.phone,
        `【不动产登记】您的登录验证码为 ${code}，${Math.round(this.policy.smsCodeTtlMs / 60_000)} 分钟内有效。请勿告诉他人。`,
      );
    } catch (e) {
      this.deps.log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'SMS sending failed');
      throw new ApiError('NOT_READY', '短信发送失败，请稍后再试', 'The SMS could not be sent; try again later');
    }
    const demo = this.deps.mode === 'demo' && this.deps.sms.simulator;
    return { challengeId: id, expiresAt, maskedPhone: maskPhone(input.phone), ...(demo ? { demoCode: code } : {}) };
  }

  /** Step 2: the code opens a holder session. Five wrong codes burn the challenge. */
  async verifyHolderSms(
    input: { challengeId: string; code: string },
    meta: RequestMeta,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = this.now();
    await this.ipThrottled('auth.holder-login-throttled', meta);
    const c = await this.db
      .selectFrom('holder_sms_challenges')
      .selectAll()
      .where('id', '=', input.challengeId)
      .executeTakeFirst();
    const refuse = async (reason: string) => {
      await this.audit({
        actor: { kind: 'anonymous' },
        action: 'auth.holder-login',
        ...(c ? { holderKey: c.holder_key } : {}),
        result: 'denied',
        reason,
        ...meta,
      });
      return new ApiError('UNAUTHENTICATED', '验证码错误或已失效', 'Wrong or expired code', 'code');
    };
    if (
      !c ||
      c.consumed_at ||
      new Date(c.expires_at).getTime() <= now.getTime() ||
      c.attempts >= this.policy.smsMaxAttempts
    )
      throw await refuse('CHALLENGE_INVALID');
    const given = Buffer.from(sm3(`${c.id}:${input.code}`), 'hex');
    if (!timingSafeEqual(given, Buffer.from(c.code_hash, 'hex'))) {
      await this.db
        .updateTable('holder_sms_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', c.id)
        .execute();
      throw await refuse('BAD_CODE');
    }
    return this.db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('holder_sms_challenges')
        .set({ consumed_at: now })
        .where('id', '=', c.id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) throw new ApiError('UNAUTHENTICATED', '验证码已使用', 'Code already used');
      const s = await createSession(
        trx,
        {
          kind: 'holder',
          holderKey: c.holder_key,
          mfa: true,
          lifetimeMs: this.policy.holderSessionMs,
          idleMs: this.policy.holderSessionMs,
          ...(meta.ip ? { ip: meta.ip } : {}),
        },
        now,
      );
      await recordAudit(trx, {
        actor: { kind: 'holder', id: c.holder_key },
        holderKey: c.holder_key,
        action: 'auth.holder-login',
        result: 'success',
        objectType: 'session',
        objectId: s.id,
        at: now,
        ...meta,
      });
      return { token: s.token, expiresAt: s.expiresAt };
    });
  }

  // ---------- institutions: sharing agreements and API clients ----------

  async createAgreement(
    input: {
      agreementNo: string;
      institutionName: string;
      institutionUscc: string;
      certificateTypes: readonly string[];
      interfaces: readonly ('search' | 'download' | 'info' | 'verify')[];
      regionCodes: readonly string[];
      validFrom: Date;
      validUntil: Date;
    },
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
  ): Promise<string> {
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sharing_agreements')
        .values({
          id,
          agreement_no: input.agreementNo,
          institution_name: input.institutionName,
          institution_uscc: input.institutionUscc,
          certificate_types: JSON.stringify(input.certificateTypes),
          interfaces: JSON.stringify(input.interfaces),
          region_codes: JSON.stringify(input.regionCodes),
          valid_from: input.validFrom,
          valid_until: input.validUntil,
          revoked_at: null,
        })
        .execute();
      await recordAudit(trx, {
        actor,
        action: 'agreement.create',
        objectType: 'sharing-agreement',
        objectId: id,
        result: 'success',
        details: {
          agreementNo: input.agreementNo,
          interfaces: [...input.interfaces],
          regionCodes: [...input.regionCodes],
        },
        at: this.now(),
        ...meta,
      });
    });
    return id;
  }

  /** A client id and a 256-bit secret, shown once; only the secret's SM3 is stored. */
  async createApiClient(
    input: { agreementId: string | null; name: string; publicKeyHex?: string },
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
  ): Promise<{ clientId: string; secret: string }> {
    if (input.publicKeyHex !== undefined && !isSm2PublicKeyHex(input.publicKeyHex))
      throw new ApiError('VALIDATION_FAILED', 'SM2 公钥格式错误', 'Not an SM2 public key (hex 04‖x‖y)', 'publicKeyHex');
    if (input.agreementId) {
      const a = await this.db
        .selectFrom('sharing_agreements')
        .select('id')
        .where('id', '=', input.agreementId)
        .executeTakeFirst();
      if (!a) throw notFound();
    }
    const clientId = `bdc_${randomBytes(9).toString('base64url')}`;
    const secret = randomBytes(32).toString('base64url');
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_clients')
        .values({
          client_id: clientId,
          agreement_id: input.agreementId,
          name: input.name,
          secret_hash: sm3(secret),
          public_key_hex: input.publicKeyHex?.toLowerCase() ?? null,
          revoked_at: null,
        })
        .execute();
      await recordAudit(trx, {
        actor,
        action: 'api-client.create',
        objectType: 'api-client',
        objectId: clientId,
        result: 'success',
        details: { agreementId: input.agreementId },
        at: this.now(),
        ...meta,
      });
    });
    return { clientId, secret };
  }

  async listAgreements(): Promise<
    {
      id: string;
      agreementNo: string;
      institutionName: string;
      institutionUscc: string;
      certificateTypes: string[];
      interfaces: string[];
      regionCodes: string[];
      validFrom: Date;
      validUntil: Date;
      revokedAt: Date | null;
      clients: { clientId: string; name: string; revokedAt: Date | null }[];
    }[]
  > {
    const agreements = await this.db.selectFrom('sharing_agreements').selectAll().orderBy('agreement_no').execute();
    const clients = await this.db
      .selectFrom('api_clients')
      .select(['client_id', 'agreement_id', 'name', 'revoked_at'])
      .execute();
    return agreements.map((a) => ({
      id: a.id,
      agreementNo: a.agreement_no,
      institutionName: a.institution_name,
      institutionUscc: a.institution_uscc,
      certificateTypes: a.certificate_types,
      interfaces: a.interfaces,
      regionCodes: a.region_codes,
      validFrom: new Date(a.valid_from),
      validUntil: new Date(a.valid_until),
      revokedAt: a.revoked_at ? new Date(a.revoked_at) : null,
      clients: clients
        .filter((c) => c.agreement_id === a.id)
        .map((c) => ({ clientId: c.client_id, name: c.name, revokedAt: c.revoked_at ? new Date(c.revoked_at) : null })),
    }));
  }

  /** Ends an agreement (all its clients stop at once) or a single client's credentials. */
  async revoke(
    what: { agreementId: string } | { clientId: string },
    actor: AuditEntryInput['actor'],
    meta: RequestMeta = {},
  ): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      const r =
        'agreementId' in what
          ? await trx
              .updateTable('sharing_agreements')
              .set({ revoked_at: now })
              .where('id', '=', what.agreementId)
              .where('revoked_at', 'is', null)
              .executeTakeFirst()
          : await trx
              .updateTable('api_clients')
              .set({ revoked_at: now })
              .where('client_id', '=', what.clientId)
              .where('revoked_at', 'is', null)
              .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw notFound();
      await recordAudit(trx, {
        actor,
        action: 'agreementId' in what ? 'agreement.revoke' : 'api-client.revoke',
        objectType: 'agreementId' in what ? 'sharing-agreement' : 'api-client',
        objectId: 'agreementId' in what ? what.agreementId : what.clientId,
        result: 'success',
        at: now,
        ...meta,
      });
    });
  }

  private async clientWithAgreement(clientId: string) {
    return this.db
      .selectFrom('api_clients')
      .leftJoin('sharing_agreements', 'sharing_agreements.id', 'api_clients.agreement_id')
      .select([
        'api_clients.client_id',
        'api_clients.secret_hash',
        'api_clients.public_key_hex',
        'api_clients.revoked_at as client_revoked_at',
        'sharing_agreements.id as agreement_id',
        'sharing_agreements.agreement_no',
        'sharing_agreements.institution_name',
        'sharing_agreements.interfaces',
        'sharing_agreements.certificate_types',
        'sharing_agreements.region_codes',
        'sharing_agreements.valid_from',
        'sharing_agreements.valid_until',
        'sharing_agreements.revoked_at as agreement_revoked_at',
      ])
      .where('api_clients.client_id', '=', clientId)
      .executeTakeFirst();
  }

  private principalOf(c: NonNullable<Awaited<ReturnType<IdentityService['clientWithAgreement']>>>): ClientAuthResult {
    if (!c.agreement_id || !c.agreement_no || !c.interfaces || !c.valid_until || !c.valid_from)
      return { ok: false, reason: 'NO_AGREEMENT' };
    const now = this.now().getTime();
    if (c.agreement_revoked_at || new Date(c.valid_from).getTime() > now || new Date(c.valid_until).getTime() <= now)
      return { ok: false, reason: 'AGREEMENT_EXPIRED' };
    return {
      ok: true,
      principal: {
        kind: 'institution',
        clientId: c.client_id,
        agreementId: c.agreement_id,
        agreementNo: c.agreement_no,
        institutionName: c.institution_name ?? '',
        interfaces: c.interfaces,
        certificateTypes: c.certificate_types ?? [],
        regionCodes: c.region_codes ?? [],
        validUntil: new Date(c.valid_until),
      },
    };
  }

  /** Client credentials → institution principal scoped by its agreement (Sichuan Art. 16). Never throws. */
  async authenticateClient(clientId: string, secret: string): Promise<ClientAuthResult> {
    if (clientId.length > 100 || secret.length > 200) return { ok: false, reason: 'UNKNOWN_CLIENT' };
    const c = await this.clientWithAgreement(clientId);
    if (!c || c.client_revoked_at) return { ok: false, reason: 'UNKNOWN_CLIENT' };
    if (!timingSafeEqual(Buffer.from(sm3(secret), 'hex'), Buffer.from(c.secret_hash, 'hex')))
      return { ok: false, reason: 'BAD_SECRET' };
    return this.principalOf(c);
  }

  /**
   * SM2-signed request (Sichuan Art. 11: digital certificates for identity authentication): the client signs
   * `signedRequestString(...)` with its SM2 key (SM3, GM/T 0009 default ID); the timestamp must be within 5 minutes
   * and the nonce unused. Never throws.
   */
  async authenticateSigned(r: SignedRequest): Promise<ClientAuthResult> {
    if (
      r.clientId.length > 100 ||
      !/^[0-9A-Za-z_-]{16,64}$/.test(r.nonce) ||
      !/^[0-9a-f]{16,200}$/i.test(r.signatureHex)
    )
      return { ok: false, reason: 'BAD_SIGNATURE' };
    const c = await this.clientWithAgreement(r.clientId);
    if (!c || c.client_revoked_at) return { ok: false, reason: 'UNKNOWN_CLIENT' };
    if (!c.public_key_hex) return { ok: false, reason: 'BAD_SIGNATURE' };
    const now = this.now();
    const ts = Date.parse(r.timestamp);
    if (!Number.isFinite(ts) || Math.abs(ts - now.getTime()) > SIGNED_REQUEST_WINDOW_MS)
      return { ok: false, reason: 'STALE_REQUEST' };
    let good = false;
    try {
      good = sm2.doVerifySignature(signedRequestString(r), r.signatureHex.toLowerCase(), c.public_key_hex, {
        der: true,
        hash: true,
      });
    } catch {
      good = false;
    }
    if (!good) return { ok: false, reason: 'BAD_SIGNATURE' };
    const used = await this.db
      .insertInto('request_nonces')
      .values({ client_id: r.clientId, nonce: r.nonce, expires_at: new Date(ts + SIGNED_REQUEST_WINDOW_MS) })
      .onConflict((oc) => oc.columns(['client_id', 'nonce']).doNothing())
      .executeTakeFirst();
    if (Number(used.numInsertedOrUpdatedRows ?? 0n) !== 1) return { ok: false, reason: 'REPLAYED_REQUEST' };
    return this.principalOf(c);
  }
}
