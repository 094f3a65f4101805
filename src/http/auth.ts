import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  agreementCovers,
  type Principal,
  SHARE_INTERFACE_NAMES,
  type ShareInterface,
  STAFF_ROLE_NAMES,
  type StaffRole,
  staffMayActFor,
} from '../domain/access.js';
import { type AuditEntryInput, actorOf, recordAudit } from '../modules/audit/audit.js';
import { type IdentityService, SIGNED_REQUEST_SCHEME } from '../modules/identity/service.js';
import { SESSION_COOKIE } from '../modules/identity/sessions.js';
import { ApiError } from './errors.js';
import type { App } from './server.js';

/**
 * Authentication for every route (issue 7 §2). `authPlugin(identity)` resolves the caller once per request into
 * `req.principal`: a session token (`Authorization: Bearer …` or the HttpOnly `bdcert_session` cookie) for staff and
 * holders; for institutions client credentials (`Authorization: Basic base64(clientId:secret)`) or an SM2-signed
 * request (`Authorization: BDC-SM2-SM3 client="…", timestamp="…", nonce="…", signature="<DER hex>"` over
 * `signedRequestString`, which covers method, path, query, time, nonce and the body's SM3). Routes then state
 * their rule with one of the guards below as `preHandler`; a route without a guard is public.
 *
 * Register the plugin in each route scope that needs it (it is idempotent); without it every guard answers 401.
 */
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the request presented credentials that were refused (for the audit of refusals). */
    authFailure?: string;
    bdcertIdentity?: IdentityService;
    /** SM3 of the raw body, computed while it streams in (signed requests only). */
    bdcertBodySm3?: string;
  }
}

const unauthenticated = () => new ApiError('UNAUTHENTICATED', '请先登录或提供有效凭证', 'Authentication required');
const forbidden = (zh = '无权执行此操作', en = 'Not allowed') => new ApiError('FORBIDDEN', zh, en);
/** Another agency's or holder's object answers exactly like a missing one (issue 7 §2). */
export const notFoundError = () => new ApiError('NOT_FOUND', '未找到请求的资源', 'Not found');

function parseCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function parseSignedHeader(h: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of h.slice(SIGNED_REQUEST_SCHEME.length).matchAll(/([a-z]+)="([^"]*)"/g))
    if (m[1]) out[m[1]] = m[2] ?? '';
  return out;
}

async function auditClientRefusal(identity: IdentityService, req: FastifyRequest, clientId: string | undefined) {
  await recordAudit(identity.deps.db, {
    actor: { kind: 'anonymous', ...(clientId ? { clientId: clientId.slice(0, 100) } : {}) },
    action: 'auth.client',
    result: 'denied',
    reason: req.authFailure ?? 'MALFORMED',
    ip: req.ip,
    requestId: req.id,
    details: { method: req.method, url: req.routeOptions.url ?? req.url.split('?')[0] },
  });
}

/** Signed requests are checked once the body has streamed through (preValidation), see `authPlugin`. */
export async function resolveSignedPrincipal(identity: IdentityService, req: FastifyRequest): Promise<void> {
  const f = parseSignedHeader(req.headers.authorization ?? '');
  const r = await identity.authenticateSigned({
    clientId: f.client ?? '',
    method: req.method,
    url: req.url,
    timestamp: f.timestamp ?? '',
    nonce: f.nonce ?? '',
    bodySm3: req.bdcertBodySm3 ?? createHash('sm3').digest('hex'),
    signatureHex: f.signature ?? '',
  });
  if (r.ok) req.principal = r.principal;
  else {
    req.authFailure = r.reason;
    await auditClientRefusal(identity, req, f.client);
  }
}

export async function resolvePrincipal(identity: IdentityService, req: FastifyRequest): Promise<void> {
  const h = req.headers.authorization;
  if (h?.startsWith(`${SIGNED_REQUEST_SCHEME} `)) return; // verified in preValidation, after the body
  if (h?.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const r = i > 0 ? await identity.authenticateClient(decoded.slice(0, i), decoded.slice(i + 1)) : undefined;
    if (r?.ok) req.principal = r.principal;
    else {
      req.authFailure = r?.reason ?? 'MALFORMED';
      // A refused institution is audited (issue 7 "Must show"): which client id tried, from where.
      await auditClientRefusal(identity, req, i > 0 ? decoded.slice(0, i) : undefined);
    }
    return;
  }
  const token = h?.startsWith('Bearer ') ? h.slice(7).trim() : parseCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token) return;
  const p = await identity.principalForToken(token);
  if (p) req.principal = p;
  else req.authFailure = 'SESSION_INVALID';
}

export function authPlugin(identity: IdentityService): (app: App) => void {
  return (app) => {
    if (!app.hasRequestDecorator('principal')) {
      app.decorateRequest('principal', undefined);
      app.decorateRequest('authFailure', undefined);
      app.decorateRequest('bdcertIdentity', undefined);
    }
    app.addHook('onRequest', async (req) => {
      req.bdcertIdentity = identity;
      if (req.principal === undefined && req.authFailure === undefined) await resolvePrincipal(identity, req);
    });
    const signed = (req: FastifyRequest) => req.headers.authorization?.startsWith(`${SIGNED_REQUEST_SCHEME} `) === true;
    // Signed requests cover the raw body: hash it as it streams in, verify before validation and the guards.
    app.addHook('preParsing', async (req, _reply, payload) => {
      if (!signed(req) || req.bdcertBodySm3 !== undefined) return payload;
      const h = createHash('sm3');
      let length = 0;
      const tee = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          length += chunk.length;
          cb(null, chunk);
        },
        flush(cb) {
          req.bdcertBodySm3 = h.digest('hex');
          (tee as unknown as { receivedEncodedLength: number }).receivedEncodedLength = length;
          cb();
        },
      });
      return payload.pipe(tee);
    });
    app.addHook('preValidation', async (req) => {
      if (signed(req) && req.principal === undefined && req.authFailure === undefined)
        await resolveSignedPrincipal(identity, req);
    });
    // Issue 7 "Must show": a sharing call without 用证事由 or case number is refused — by the body schema, before any
    // route code runs — and the attempt is audited. Only for institutions that authenticated: a refused client is
    // audited as `auth.client` already, and an anonymous caller is no one to record.
    app.addHook('onError', async (req, _reply, error) => {
      const iface = SHARE_ROUTE.exec(req.routeOptions.url ?? '')?.[1];
      if (!iface || req.principal?.kind !== 'institution' || !hasZodFastifySchemaValidationErrors(error)) return;
      try {
        await recordAudit(identity.deps.db, shareRefusal(identity, req, iface, error.validation));
      } catch (e) {
        // Not silent: the refusal still answers 400, and the failed audit write is an error in the log.
        req.log.error({ err: e }, 'audit of a refused sharing call failed');
      }
    });
  };
}

const SHARE_ROUTE = /^\/api\/v1\/share\/(search|download|info|verify)$/;
const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined);

/** The audit row of a sharing call its body schema refused: who, which interface, which fields, and what was given. */
function shareRefusal(
  identity: IdentityService,
  req: FastifyRequest,
  iface: string,
  validation: readonly { instancePath: string }[],
): AuditEntryInput {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const purpose = text(body.purpose, 200);
  const caseNo = text(body.caseNo, 64);
  const holderCode = text(body.holderCode, 50);
  const fields = [...new Set(validation.map((v) => v.instancePath.split('/').filter(Boolean)[0] ?? '(body)'))];
  const p = req.principal;
  return {
    actor: actorOf(p),
    action: `share.${iface}`,
    result: 'denied',
    reason: fields.includes('purpose') || fields.includes('caseNo') ? 'PURPOSE_OR_CASE_MISSING' : 'VALIDATION_FAILED',
    ...(purpose ? { purpose } : {}),
    ...(caseNo ? { caseNo } : {}),
    // The holder concerned by keyed hash only (never the code itself).
    ...(holderCode ? { holderKey: identity.deps.fieldCrypto.index(holderCode) } : {}),
    ip: req.ip,
    requestId: req.id,
    at: identity.deps.now(),
    details: { fields, ...(p?.kind === 'institution' ? { agreementNo: p.agreementNo } : {}) },
  };
}

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** A staff session that passed the second factor. */
export function staffPrincipal(req: FastifyRequest): Extract<Principal, { kind: 'staff' }> {
  const p = req.principal;
  if (p?.kind !== 'staff') throw unauthenticated();
  if (!p.mfa) throw new ApiError('UNAUTHENTICATED', '请先完成动态验证码验证', 'Complete the one-time code step first');
  return p;
}

/**
 * Staff with `role` (any of `roles`); with `agencyIdFrom`, the agency the request concerns must be the user's own
 * (a province admin may act for any) — otherwise 404, as if it did not exist.
 */
export function requireStaff(
  role: StaffRole | readonly StaffRole[],
  agencyIdFrom?: (req: FastifyRequest) => string | undefined,
): Guard {
  const roles = typeof role === 'string' ? [role] : role;
  return async (req) => {
    const p = staffPrincipal(req);
    if (!roles.some((r) => p.roles.includes(r) || p.roles.includes('province-admin')))
      throw forbidden(
        `需要角色：${roles.map((r) => STAFF_ROLE_NAMES[r].zh).join('或')}`,
        `Requires role: ${roles.map((r) => STAFF_ROLE_NAMES[r].en).join(' or ')}`,
      );
    if (agencyIdFrom) {
      const agencyId = agencyIdFrom(req);
      if (agencyId !== undefined && !roles.some((r) => staffMayActFor(p, agencyId, r))) throw notFoundError();
    }
  };
}

/**
 * A staff session elevated by a recent step-up (`POST /api/v1/auth/step-up`; issue 8: batch sealing is confirmed
 * with the second factor, Henan 三(一)5). Put it after the role guard, so a wrong role still answers 403 FORBIDDEN;
 * otherwise 403 STEP_UP_REQUIRED, audited as a refusal of `action`.
 */
export function requireStepUp(action: string): Guard {
  return async (req) => {
    const p = staffPrincipal(req);
    const identity = req.bdcertIdentity;
    if (identity && (await identity.elevatedUntil(p))) return;
    if (identity)
      await recordAudit(identity.deps.db, {
        actor: actorOf(p),
        action,
        result: 'denied',
        reason: 'STEP_UP_REQUIRED',
        ip: req.ip,
        requestId: req.id,
        at: identity.deps.now(),
      });
    throw new ApiError(
      'STEP_UP_REQUIRED',
      '此操作须先完成二次验证（输入动态验证码），验证后 5 分钟内有效',
      'This action needs a fresh second factor first (POST /api/v1/auth/step-up); it holds for 5 minutes',
    );
  };
}

/** A signed-in holder (ID number + SMS code). */
export function requireHolder(): Guard {
  return async (req) => {
    if (req.principal?.kind !== 'holder') throw unauthenticated();
  };
}

/**
 * An institution whose agreement grants `iface` and is in force (Sichuan Art. 16). Refusals are audited. Per-object
 * checks (certificate type, region, the named holder and matter) belong to the route: use `agreementCovers`.
 */
export function requireInstitution(iface: ShareInterface): Guard {
  return async (req) => {
    const p = req.principal;
    if (p?.kind !== 'institution') throw unauthenticated();
    if (agreementCovers(p, iface)) return;
    const identity = req.bdcertIdentity;
    if (identity)
      await recordAudit(identity.deps.db, {
        actor: actorOf(p),
        action: `share.${iface}`,
        result: 'denied',
        reason: 'AGREEMENT_DOES_NOT_COVER',
        ip: req.ip,
        requestId: req.id,
        details: { agreementNo: p.agreementNo },
      });
    throw forbidden(
      `共享协议未授权“${SHARE_INTERFACE_NAMES[iface]}”接口或已过期`,
      `The sharing agreement does not grant the ${iface} interface or has expired`,
    );
  };
}

/** Any signed-in caller (staff past TOTP, holder, institution). */
export function requireAuthenticated(): Guard {
  return async (req) => {
    const p = req.principal;
    if (!p) throw unauthenticated();
    if (p.kind === 'staff') staffPrincipal(req);
  };
}

/** For half-signed-in staff sessions too (the TOTP step itself). */
export function requireStaffSession(): Guard {
  return async (req) => {
    if (req.principal?.kind !== 'staff') throw unauthenticated();
  };
}

/**
 * Loads an object and hides what the caller may not see: returns it when `visible(obj)` holds, else throws the same
 * 404 as a missing one (issue 7 §2: another agency's or holder's object is indistinguishable from a missing one).
 */
export async function findVisibleOr404<T>(
  load: () => Promise<T | undefined>,
  visible: (obj: T) => boolean,
): Promise<T> {
  const obj = await load();
  if (obj === undefined || !visible(obj)) throw notFoundError();
  return obj;
}
