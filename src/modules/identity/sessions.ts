import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';

/**
 * Server-side sessions (issue 7 §1): an opaque 256-bit token goes to the client (HttpOnly cookie or Bearer); only its
 * SM3 is stored, so a database copy cannot be replayed. Sessions expire (absolute and idle) and can be revoked.
 */
export const SESSION_COOKIE = 'bdcert_session';

export function tokenHash(token: string): string {
  return createHash('sm3').update(token, 'utf8').digest('hex');
}

export interface NewSession {
  readonly kind: 'staff' | 'holder';
  readonly userId?: string;
  readonly holderKey?: string;
  readonly mfa: boolean;
  readonly ip?: string;
  readonly lifetimeMs: number;
  readonly idleMs: number;
}

export async function createSession(
  db: Kysely<Database> | Transaction<Database>,
  s: NewSession,
  now: Date,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + s.lifetimeMs);
  await db
    .insertInto('sessions')
    .values({
      id,
      token_hash: tokenHash(token),
      kind: s.kind,
      user_id: s.userId ?? null,
      holder_key: s.holderKey ?? null,
      mfa: s.mfa,
      created_at: now,
      expires_at: expiresAt,
      idle_expires_at: new Date(Math.min(expiresAt.getTime(), now.getTime() + s.idleMs)),
      ip: s.ip ?? null,
    })
    .execute();
  return { id, token, expiresAt };
}

export async function revokeSession(db: Kysely<Database>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeUserSessions(
  db: Kysely<Database> | Transaction<Database>,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Housekeeping: deletes sessions that ended (expired or revoked) more than `keepMs` ago; returns how many. */
export async function purgeEndedSessions(db: Kysely<Database>, now: Date, keepMs = 7 * 24 * 3600_000): Promise<number> {
  const cutoff = new Date(now.getTime() - keepMs);
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Housekeeping: nonces of signed requests are only needed while their timestamp window is open. */
export async function purgeExpiredNonces(db: Kysely<Database>, now: Date): Promise<number> {
  const r = await db.deleteFrom('request_nonces').where('expires_at', '<', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
