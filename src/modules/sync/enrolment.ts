import { bytesToHex, hexToBytes } from '../../crypto/bytes.js';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';
import { inRegions, regionsWithin } from '../../domain/sync.js';
import { ApiError } from '../../http/errors.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import type { ServiceContext } from '../context.js';
import {
  EnrolRequest,
  enrolBytes,
  keyFingerprint,
  makeEnrolmentToken,
  parseEnrolmentToken,
  publicKeyOf,
  SignedResponse,
  signResponse,
  verifyResponse,
} from './protocol.js';
import * as repo from './repository.js';

/**
 * Enrolment and key exchange (docs/sync.md "Enrolment"): a province administrator issues a one-time token for a city
 * and its regions; the city sends its node id, name, region codes, base URL and SM2 public key, signed with that key
 * (proof of possession); the province records the city as a peer and answers with its own public key, signed, whose
 * fingerprint the token already carried — so neither side depends on the transport for the other's key. From then
 * on the city's messages are verified against its key, and the province's calls (file fetches) against the province's.
 */
export interface EnrolmentDeps {
  readonly ctx: ServiceContext;
  readonly signer: Sm2Signer;
}

export interface TokenOptions {
  readonly label: string;
  readonly regionCodes: readonly string[];
  readonly ttlHours: number;
  readonly actor: AuditActor;
}

export async function createEnrolmentToken(
  deps: EnrolmentDeps,
  o: TokenOptions,
): Promise<{ token: string; expiresAt: Date }> {
  const { ctx } = deps;
  const token = makeEnrolmentToken(ctx.config.sync.nodeId, deps.signer.publicKey);
  const expiresAt = new Date(ctx.now().getTime() + o.ttlHours * 3600_000);
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.insertToken(trx, {
      token_sm3: sm3Hex(token),
      label: o.label,
      region_codes: o.regionCodes,
      created_by: o.actor,
      expires_at: expiresAt,
    });
    // The token itself is a secret: only its label and regions go to the audit log.
    await recordAudit(trx, {
      actor: o.actor,
      action: 'sync.enrolment-token',
      objectType: 'sync-token',
      objectId: sm3Hex(token).slice(0, 16),
      result: 'success',
      details: { label: o.label, regionCodes: o.regionCodes, expiresAt: expiresAt.toISOString() },
    });
  });
  return { token, expiresAt };
}

/** Province side of `bdcert sync join`. */
export async function enrol(
  deps: EnrolmentDeps,
  req: EnrolRequest,
  meta: { ip?: string; requestId?: string } = {},
): Promise<Awaited<ReturnType<typeof signResponse>>> {
  const { ctx } = deps;
  const now = ctx.now();
  const deny = async (code: string, zh: string, en: string, field?: string) => {
    await recordAudit(ctx.store.db, {
      actor: { kind: 'system', id: `node:${req.nodeId}` },
      action: 'sync.enrol',
      objectType: 'sync-peer',
      objectId: req.nodeId,
      result: 'denied',
      reason: code,
      ...(meta.ip ? { ip: meta.ip } : {}),
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
    });
    return new ApiError(code === 'CONFLICT' ? 'CONFLICT' : 'UNAUTHENTICATED', zh, en, field);
  };
  let key: ReturnType<typeof publicKeyOf>;
  try {
    key = publicKeyOf(req.publicKey);
  } catch {
    throw await deny('BAD_KEY', 'SM2公钥无效', 'Invalid SM2 public key', 'publicKey');
  }
  const at = Date.parse(req.at);
  if (!Number.isFinite(at) || Math.abs(at - now.getTime()) > 5 * 60_000)
    throw await deny('STALE_REQUEST', '请求时间与服务器时间相差过大', 'Request time too far from server time', 'at');
  if (!key.verify(enrolBytes(req), hexToBytes(req.signature)))
    throw await deny('BAD_SIGNATURE', '注册请求签名无效', 'Enrolment request signature invalid', 'signature');
  const existing = await repo.findPeer(ctx.store.db, req.nodeId);
  if (existing && !existing.revoked_at && existing.public_key_hex !== req.publicKey)
    throw await deny(
      'CONFLICT',
      `节点标识 ${req.nodeId} 已注册（公钥不同），请先注销原节点`,
      `Node id ${req.nodeId} is enrolled with another key; revoke it first`,
      'nodeId',
    );
  let granted: { ok: true; regions: string[] } | { ok: false; allowed: string[] } | undefined;
  try {
    granted = await ctx.store.db.transaction().execute(async (trx) => {
      const t = await repo.consumeToken(trx, sm3Hex(req.token.trim()), req.nodeId, now);
      if (!t) return undefined;
      const regions = req.regionCodes.length ? req.regionCodes : t.region_codes;
      // Thrown, not returned: the token stays unused when the request asks for more than it grants.
      if (!regionsWithin(regions, t.region_codes)) throw new RegionsNotGranted(t.region_codes);
      await repo.upsertPeer(trx, {
        peer_id: req.nodeId,
        kind: 'city',
        name: req.name,
        region_codes: regions,
        base_url: req.baseUrl.replace(/\/+$/, ''),
        agency_id: null,
        public_key_hex: req.publicKey,
      });
      await recordAudit(trx, {
        actor: { kind: 'system', id: `node:${req.nodeId}` },
        action: 'sync.enrol',
        objectType: 'sync-peer',
        objectId: req.nodeId,
        result: 'success',
        ...(meta.ip ? { ip: meta.ip } : {}),
        ...(meta.requestId ? { requestId: meta.requestId } : {}),
        details: { name: req.name, regionCodes: regions, baseUrl: req.baseUrl, token: t.label },
      });
      return { ok: true as const, regions };
    });
  } catch (e) {
    if (!(e instanceof RegionsNotGranted)) throw e;
    granted = { ok: false, allowed: e.allowed };
  }
  if (!granted)
    throw await deny('BAD_TOKEN', '注册令牌无效、已使用或已过期', 'Enrolment token invalid, used or expired', 'token');
  if (!granted.ok)
    throw await deny(
      'REGION_NOT_GRANTED',
      `申请的行政区划超出令牌授权范围（${granted.allowed.join('、')}）`,
      `Requested regions exceed the token's (${granted.allowed.join(', ')})`,
      'regionCodes',
    );
  ctx.log.info({ node: req.nodeId, regions: granted.regions }, 'sync: city enrolled');
  return signResponse(
    deps.signer,
    ctx.config.sync.nodeId,
    {
      provinceNodeId: ctx.config.sync.nodeId,
      name: ctx.config.sync.nodeName,
      publicKey: bytesToHex(deps.signer.publicKey.toRaw()),
      regionCodes: granted.regions,
      cityNodeId: req.nodeId,
    },
    now,
  );
}

class RegionsNotGranted extends Error {
  constructor(readonly allowed: string[]) {
    super('regions not granted');
  }
}

export interface JoinOptions {
  readonly provinceUrl: string;
  readonly token: string;
  /** This city's public URL (the province fetches files here). */
  readonly baseUrl: string;
  readonly regionCodes?: readonly string[];
  readonly actor: AuditActor;
}

/** City side: enrols with the province, stores its key, and queues a snapshot of the catalog (agencies and seals). */
export async function join(
  deps: EnrolmentDeps,
  o: JoinOptions,
): Promise<{ provinceNodeId: string; provinceName: string; regionCodes: string[]; queued: number }> {
  const { ctx } = deps;
  const parsed = parseEnrolmentToken(o.token);
  if (!parsed) throw new ApiError('BAD_REQUEST', '注册令牌格式错误', 'Malformed enrolment token (bdc1.…)', 'token');
  const body = {
    token: o.token.trim(),
    nodeId: ctx.config.sync.nodeId,
    name: ctx.config.sync.nodeName,
    regionCodes: [...(o.regionCodes ?? [])],
    baseUrl: o.baseUrl,
    publicKey: bytesToHex(deps.signer.publicKey.toRaw()),
    at: ctx.now().toISOString(),
  };
  const signature = bytesToHex(await deps.signer.sign(enrolBytes(body)));
  const url = `${o.provinceUrl.replace(/\/+$/, '')}/api/v1/sync/enrol`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(EnrolRequest.parse({ ...body, signature })),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new ApiError(
      'NOT_READY',
      `无法连接省级节点：${(e as Error).message}`,
      `Province node unreachable: ${(e as Error).message}`,
      'provinceUrl',
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let err: { message?: string; messageEn?: string; field?: string } = {};
    try {
      err = (JSON.parse(text) as { error: typeof err }).error ?? {};
    } catch {
      // not our envelope
    }
    throw new ApiError(
      'UNPROCESSABLE',
      `省级节点拒绝注册：${err.message ?? text.slice(0, 200)}`,
      `The province refused the enrolment: ${err.messageEn ?? text.slice(0, 200)}`,
      err.field,
    );
  }
  const answer = SignedResponse.parse(JSON.parse(text));
  const p = answer.payload as { provinceNodeId?: string; name?: string; publicKey?: string; regionCodes?: string[] };
  if (!p.publicKey || !/^04[0-9a-f]{128}$/.test(p.publicKey) || !p.provinceNodeId || !Array.isArray(p.regionCodes))
    throw new ApiError('UNPROCESSABLE', '省级节点的应答不完整', 'Incomplete answer from the province');
  const key = publicKeyOf(p.publicKey);
  // The token carried the fingerprint of the province's key: the answer must come from that key.
  if (
    keyFingerprint(key) !== parsed.fingerprint ||
    p.provinceNodeId !== parsed.provinceNodeId ||
    !verifyResponse(answer, key)
  )
    throw new ApiError(
      'UNPROCESSABLE',
      '省级节点公钥与注册令牌不符，已拒绝',
      'The province key does not match the enrolment token; refused',
      'token',
    );
  const regions = p.regionCodes;
  const queued = await adoptUpstream(deps, {
    provinceNodeId: p.provinceNodeId,
    provinceName: p.name ?? p.provinceNodeId,
    provinceUrl: o.provinceUrl.replace(/\/+$/, ''),
    provincePublicKey: p.publicKey,
    regionCodes: regions,
  });
  await recordAudit(ctx.store.db, {
    actor: o.actor,
    action: 'sync.join',
    objectType: 'sync-peer',
    objectId: p.provinceNodeId,
    result: 'success',
    details: { provinceUrl: o.provinceUrl, regionCodes: regions, queued },
  });
  ctx.log.info({ province: p.provinceNodeId, regions }, 'sync: joined the province');
  return { provinceNodeId: p.provinceNodeId, provinceName: p.name ?? p.provinceNodeId, regionCodes: regions, queued };
}

async function adoptUpstream(
  deps: EnrolmentDeps,
  u: {
    provinceNodeId: string;
    provinceName: string;
    provinceUrl: string | null;
    provincePublicKey: string;
    regionCodes: readonly string[];
  },
): Promise<number> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const before = await repo.getRelay(db);
  await repo.setUpstream(db, {
    province_node_id: u.provinceNodeId,
    province_name: u.provinceName,
    province_url: u.provinceUrl,
    province_public_key: u.provincePublicKey,
    region_codes: u.regionCodes,
    joined_at: ctx.now(),
  });
  // Another province than before (re-enrolment elsewhere): it holds nothing of ours yet, so everything is resent.
  if (before?.province_node_id && before.province_node_id !== u.provinceNodeId) await repo.resetAck(db, ctx.now());
  // The catalog first (Henan 二: 省电子证照系统汇总全省目录): every agency and seal in the regions, then the outbox.
  const items: { aggregate_type: string; aggregate_id: string; event_type: string }[] = [];
  for (const a of await catalogRepo.listAgencies(db)) {
    if (!inRegions(a.region_code, u.regionCodes)) continue;
    items.push({ aggregate_type: 'agency', aggregate_id: a.id, event_type: 'agency.snapshot' });
    for (const s of await catalogRepo.listSeals(db, a.id))
      items.push({ aggregate_type: 'seal', aggregate_id: s.id, event_type: 'seal.snapshot' });
  }
  await repo.enqueueDirect(db, items, ctx.now());
  return items.length;
}

/**
 * BDCERT_ROLE=all: the node is its own province (the demo). It enrols itself as a city with its own key, covering
 * every region, and pushes through the in-process transport. Idempotent.
 */
export async function ensureSelfEnrolled(deps: EnrolmentDeps): Promise<void> {
  const { ctx } = deps;
  const id = ctx.config.sync.nodeId;
  const pub = bytesToHex(deps.signer.publicKey.toRaw());
  const peer = await repo.findPeer(ctx.store.db, id);
  if (!peer || peer.public_key_hex !== pub) {
    await repo.upsertPeer(ctx.store.db, {
      peer_id: id,
      kind: 'city',
      name: ctx.config.sync.nodeName,
      region_codes: [''],
      base_url: null,
      agency_id: null,
      public_key_hex: pub,
      is_self: true,
    });
  }
  const relay = await repo.ensureRelay(ctx.store.db);
  if (relay.province_node_id !== id)
    await adoptUpstream(deps, {
      provinceNodeId: id,
      provinceName: ctx.config.sync.nodeName,
      provinceUrl: null,
      provincePublicKey: pub,
      regionCodes: [''],
    });
}
