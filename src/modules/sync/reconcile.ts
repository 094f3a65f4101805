import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';
import { reconciliationLine } from '../../domain/sync.js';
import { ApiError } from '../../http/errors.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import * as library from './library.js';
import {
  publicKeyOf,
  type SignedRequest,
  type SignedResponse,
  signRequest,
  signResponse,
  verifyRequest,
} from './protocol.js';
import type { Upstream } from './relay.js';
import * as repo from './repository.js';
import type { DivergingDay } from './tables.js';

/**
 * Reconciliation (docs/sync.md "Reconciliation"): per city and day of issue, both sides count their certificates and
 * hash the sorted lines `identifier|status|version` with SM3. The city sends its figures; the province compares them
 * with its library, records the result and answers, for every day that differs, its own lines. The city then knows
 * exactly what is missing, different or extra and repairs by re-sending the current state of those certificates
 * through the ordinary relay (new seqs, so they win over anything older). Divergence is reported in the API, the
 * console and the log on both sides.
 */
export const RECONCILE_PATH = '/api/v1/sync/reconcile';
/** Beyond this many certificates in one day the province answers counts only and the city re-sends the whole day. */
const MAX_LINES_PER_DAY = 20_000;

export interface DaySummary {
  readonly day: string;
  readonly count: number;
  readonly digest: string;
}

interface Line {
  readonly day: string;
  readonly identifier: string;
  readonly status: string;
  readonly version: number;
}

export function summarise(lines: readonly Line[]): Map<string, DaySummary> {
  const byDay = new Map<string, Line[]>();
  for (const l of lines) {
    const list = byDay.get(l.day) ?? [];
    list.push(l);
    byDay.set(l.day, list);
  }
  const out = new Map<string, DaySummary>();
  for (const [day, list] of byDay) {
    // Sorted by identifier with a plain code-unit comparison on both sides (never the database collation).
    const sorted = [...list].sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
    out.set(day, {
      day,
      count: sorted.length,
      digest: sm3Hex(sorted.map((l) => reconciliationLine(l.identifier, l.status, l.version)).join('')),
    });
  }
  return out;
}

const EMPTY_DIGEST = sm3Hex('');

const ReconcilePayload = z.object({
  days: z
    .array(
      z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), count: z.number().int().min(0), digest: z.string() }),
    )
    .max(20_000),
  window: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).nullable(),
});

const ProvinceAnswer = z.object({
  compared: z.number(),
  certificates: z.number(),
  diverging: z.array(
    z.object({
      day: z.string(),
      province: z.object({ count: z.number(), digest: z.string() }),
      lines: z.array(z.object({ identifier: z.string(), status: z.string(), version: z.number() })).nullable(),
    }),
  ),
});

export interface ProvinceSideDeps {
  readonly ctx: ServiceContext;
  readonly signer: Sm2Signer;
}

/** Province side: compares a city's day figures with the library and records the result. */
export async function answerReconcile(
  deps: ProvinceSideDeps,
  req: SignedRequest,
  meta: { ip?: string; requestId?: string } = {},
): Promise<SignedResponse> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const now = ctx.now();
  const peer = await repo.findPeer(db, req.node);
  if (!peer || peer.revoked_at || peer.kind !== 'city')
    throw new ApiError('UNAUTHENTICATED', '发送方未注册或已注销', 'The sender is not enrolled', 'node');
  const bad = verifyRequest(RECONCILE_PATH, req, publicKeyOf(peer.public_key_hex), now);
  if (bad) throw new ApiError('UNAUTHENTICATED', '请求签名无效或已过期', `Request refused: ${bad}`, 'signature');
  if (!(await repo.claimNonce(db, req.node, req.nonce, new Date(Date.parse(req.at) + 10 * 60_000), now)))
    throw new ApiError('UNAUTHENTICATED', '重复的请求', 'Replayed request', 'nonce');
  const p = ReconcilePayload.safeParse(req.payload);
  if (!p.success) throw new ApiError('VALIDATION_FAILED', '对账数据格式错误', 'Malformed reconciliation payload');
  const lines = await library.nodeLines(db, peer.peer_id, p.data.window ?? undefined);
  const mine = summarise(lines);
  const theirs = new Map(p.data.days.map((d) => [d.day, d]));
  const days = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
  const diverging: z.infer<typeof ProvinceAnswer>['diverging'] = [];
  const report: DivergingDay[] = [];
  for (const day of days) {
    const a = theirs.get(day) ?? { day, count: 0, digest: EMPTY_DIGEST };
    const b = mine.get(day) ?? { day, count: 0, digest: EMPTY_DIGEST };
    if (a.count === b.count && a.digest === b.digest) continue;
    const dayLines = lines.filter((l) => l.day === day);
    diverging.push({
      day,
      province: { count: b.count, digest: b.digest },
      lines:
        dayLines.length <= MAX_LINES_PER_DAY
          ? dayLines.map((l) => ({ identifier: l.identifier, status: l.status, version: l.version }))
          : null,
    });
    report.push({
      day,
      city: { count: a.count, digest: a.digest },
      province: { count: b.count, digest: b.digest },
      missing: Math.max(0, a.count - b.count),
      different: 0,
      extra: Math.max(0, b.count - a.count),
    });
  }
  await repo.insertReconciliation(db, {
    id: randomUUID(),
    side: 'province',
    peer_id: peer.peer_id,
    started_at: now,
    finished_at: ctx.now(),
    days_compared: days.length,
    certificates: lines.length,
    diverging: report,
    repaired: 0,
    status: report.length ? 'diverged' : 'ok',
    error: null,
  });
  await recordAudit(db, {
    actor: { kind: 'system', id: `node:${peer.peer_id}` },
    action: 'sync.reconcile',
    objectType: 'sync-peer',
    objectId: peer.peer_id,
    result: 'success',
    ...(meta.ip ? { ip: meta.ip } : {}),
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    details: { days: days.length, diverging: report.length, certificates: lines.length },
  });
  if (report.length)
    ctx.log.warn({ node: peer.peer_id, days: report.map((d) => d.day) }, 'sync: reconciliation found divergence');
  return signResponse(
    deps.signer,
    ctx.config.sync.nodeId,
    { compared: days.length, certificates: lines.length, diverging },
    now,
  );
}

export interface CityReconcileDeps {
  readonly ctx: ServiceContext;
  readonly signer: Sm2Signer;
  readonly upstream: (relay: repo.RelayRow) => Upstream;
  /** Wakes the relay after repairs were queued. */
  readonly kick?: () => void;
}

export interface ReconcileReport {
  readonly id: string;
  readonly status: 'ok' | 'diverged' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly daysCompared: number;
  readonly certificates: number;
  readonly diverging: DivergingDay[];
  /** Certificates whose state was queued again. */
  readonly repaired: number;
  /** Messages not yet acknowledged when the comparison ran (in flight: a transient difference is expected). */
  readonly inFlight: number;
  readonly error?: string;
}

/** City side: `bdcert sync reconcile`, the API and the periodic timer. */
export async function reconcileCity(
  deps: CityReconcileDeps,
  o: { days?: readonly string[]; repair: boolean; actor: AuditActor },
): Promise<ReconcileReport> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const started = ctx.now();
  const id = randomUUID();
  const relay = await repo.getRelay(db);
  if (!relay?.province_node_id)
    throw new ApiError('UNPROCESSABLE', '本节点尚未注册到省级节点', 'This node has not joined a province yet');
  const backlog = await repo.backlog(db);
  const lines = await repo.cityLines(db, relay.region_codes, o.days);
  const mine = summarise(lines);
  let diverging: DivergingDay[] = [];
  let repaired = 0;
  let error: string | undefined;
  let compared = 0;
  try {
    const req = await signRequest(
      deps.signer,
      ctx.config.sync.nodeId,
      RECONCILE_PATH,
      { days: [...mine.values()], window: o.days ? [...o.days] : null },
      ctx.now(),
    );
    const res = await deps.upstream(relay).call(RECONCILE_PATH, req);
    const answer = ProvinceAnswer.parse(res.payload);
    compared = answer.compared;
    const repairIds = new Set<string>();
    for (const d of answer.diverging) {
      const cityDay = lines.filter((l) => l.day === d.day);
      const c = mine.get(d.day) ?? { day: d.day, count: 0, digest: EMPTY_DIGEST };
      if (!d.lines) {
        for (const l of cityDay) repairIds.add(l.id);
        diverging.push({
          day: d.day,
          city: { count: c.count, digest: c.digest },
          province: d.province,
          missing: Math.max(0, c.count - d.province.count),
          different: 0,
          extra: Math.max(0, d.province.count - c.count),
        });
        continue;
      }
      const theirs = new Map(d.lines.map((l) => [l.identifier, l]));
      const ours = new Set(cityDay.map((l) => l.identifier));
      let missing = 0;
      let different = 0;
      for (const l of cityDay) {
        const t = theirs.get(l.identifier);
        if (!t) missing++;
        else if (t.status !== l.status || t.version !== l.version) different++;
        else continue;
        repairIds.add(l.id);
      }
      const extra = d.lines.filter((l) => !ours.has(l.identifier)).length;
      diverging.push({
        day: d.day,
        city: { count: c.count, digest: c.digest },
        province: d.province,
        missing,
        different,
        extra,
      });
    }
    if (o.repair && repairIds.size) {
      await repo.enqueueDirect(
        db,
        [...repairIds].map((cid) => ({ aggregate_type: 'certificate', aggregate_id: cid, event_type: 'sync.repair' })),
        ctx.now(),
      );
      repaired = repairIds.size;
      deps.kick?.();
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    diverging = [];
  }
  const status = error ? 'failed' : diverging.length ? 'diverged' : 'ok';
  const finished = ctx.now();
  await repo.insertReconciliation(db, {
    id,
    side: 'city',
    peer_id: relay.province_node_id,
    started_at: started,
    finished_at: finished,
    days_compared: compared || mine.size,
    certificates: lines.length,
    diverging,
    repaired,
    status,
    error: error ?? null,
  });
  await recordAudit(db, {
    actor: o.actor,
    action: 'sync.reconcile',
    objectType: 'sync-peer',
    objectId: relay.province_node_id,
    result: error ? 'error' : 'success',
    ...(error ? { reason: 'UPSTREAM_FAILED' } : {}),
    details: { status, days: compared || mine.size, diverging: diverging.length, repaired },
  });
  if (status !== 'ok')
    ctx.log.warn(
      { status, days: diverging.map((d) => d.day), repaired, ...(error ? { err: error } : {}) },
      'sync: reconciliation did not match',
    );
  return {
    id,
    status,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    daysCompared: compared || mine.size,
    certificates: lines.length,
    diverging,
    repaired,
    inFlight: backlog.unacked + backlog.unsequenced,
    ...(error ? { error } : {}),
  };
}
