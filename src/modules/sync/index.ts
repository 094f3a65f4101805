import type { Sm2Signer } from '../../crypto/sm2.js';
import { backoffMs } from '../../domain/sync.js';
import type { AuditActor } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import type { IssuanceDeps } from '../issuance/service.js';
import type { FederatedSharing, SharingDeps } from '../sharing/service.js';
import { intakeApplier, registerAgencySystem } from './agency-intake.js';
import { createEnrolmentToken, enrol, ensureSelfEnrolled, join } from './enrolment.js';
import * as library from './library.js';
import type { EnrolRequest, Envelope, SignedRequest } from './protocol.js';
import { answerNodeDownload, provinceFederation } from './province-sharing.js';
import { type BatchResult, libraryApplier, receiveBatch } from './receiver.js';
import { answerReconcile, RECONCILE_PATH, type ReconcileReport, reconcileCity } from './reconcile.js';
import { httpUpstream, SyncRelay, type Upstream } from './relay.js';
import * as repo from './repository.js';

/**
 * The sync context (docs/sync.md), by node role (BDCERT_ROLE):
 * - `city`: owns its agencies' certificates; runs the relay to its province, answers the province's file fetches,
 *   takes in self-built agency systems' certificates;
 * - `province`: runs the receiver and the province library, answers the sharing interfaces province-wide;
 * - `all` (the default, the demo): both, as a city whose province is itself (in-process transport).
 */
export interface SyncModuleDeps {
  readonly ctx: ServiceContext;
  readonly issuance: IssuanceDeps;
  readonly signer: Sm2Signer;
}

export type SyncModule = ReturnType<typeof createSync>;

export function createSync(deps: SyncModuleDeps) {
  const { ctx, signer } = deps;
  const role = ctx.config.role;
  const isCity = role === 'city' || role === 'all';
  const isProvince = role === 'province' || role === 'all';
  const sharing: SharingDeps = { issuance: deps.issuance };
  const applier = libraryApplier({ ctx });
  const intake = intakeApplier({ issuance: deps.issuance, signer });

  const receive = (node: string, messages: readonly Envelope[], meta?: { ip?: string; requestId?: string }) =>
    receiveBatch({ ctx }, applier, node, messages, meta);

  /** The province is this process (BDCERT_ROLE=all): the same verification and apply, without the network. */
  const localUpstream: Upstream = {
    async push(messages) {
      const r = await receive(ctx.config.sync.nodeId, messages);
      return { ack: r.ack, results: r.results };
    },
    async call(path, request) {
      if (path !== RECONCILE_PATH) throw new Error(`no local handler for ${path}`);
      return answerReconcile({ ctx, signer }, request);
    },
  };
  const upstream = (relay: repo.RelayRow): Upstream =>
    relay.province_url ? httpUpstream(relay, ctx.config.sync.nodeId) : localUpstream;

  const relay = isCity
    ? new SyncRelay({ ctx, signer, catalogConfig: deps.issuance.catalogConfig, upstream })
    : undefined;
  const federation: FederatedSharing | undefined = isProvince ? provinceFederation({ sharing, signer }) : undefined;

  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const reconcile = (o: { days?: readonly string[]; repair: boolean; actor: AuditActor }): Promise<ReconcileReport> =>
    reconcileCity({ ctx, signer, upstream, ...(relay ? { kick: () => relay.kick() } : {}) }, o);

  /** City: join at start when a token is configured and the node has not joined yet; retried until it works. */
  const autoJoin = async (baseUrl: string, attempt = 1): Promise<void> => {
    const cfg = ctx.config.sync;
    if (stopped || !cfg.provinceUrl || !cfg.enrolmentToken) return;
    if ((await repo.getRelay(ctx.store.db))?.province_node_id) return;
    try {
      await join(
        { ctx, signer },
        {
          provinceUrl: cfg.provinceUrl,
          token: cfg.enrolmentToken,
          baseUrl,
          actor: { kind: 'system', id: 'sync-autojoin' },
        },
      );
    } catch (e) {
      const wait = backoffMs(attempt, 1000, 60_000);
      ctx.log.warn(
        { err: e instanceof Error ? e.message : String(e), retryMs: wait },
        'sync: joining the province failed',
      );
      const t = setTimeout(() => void autoJoin(baseUrl, attempt + 1), wait);
      t.unref();
      timers.push(t);
    }
  };

  return {
    role,
    isCity,
    isProvince,
    relay,
    federation,
    sharing,
    /** Starts the loops of this node's roles (called by startApp after the server listens). */
    async start(runtime: { baseUrl: string }): Promise<void> {
      stopped = false;
      if (role === 'all') await ensureSelfEnrolled({ ctx, signer });
      if (role === 'city') await repo.ensureRelay(ctx.store.db);
      if (relay) {
        relay.start();
        if (role === 'city') void autoJoin(runtime.baseUrl);
        const minutes = ctx.config.sync.reconcileMinutes;
        if (minutes > 0) {
          const t = setInterval(() => {
            void (async () => {
              if (!(await repo.getRelay(ctx.store.db))?.province_node_id) return;
              await reconcile({ repair: true, actor: { kind: 'system', id: 'sync-reconcile' } });
            })().catch((e: unknown) =>
              ctx.log.error(
                { err: e instanceof Error ? e.message : String(e) },
                'sync: periodic reconciliation failed',
              ),
            );
          }, minutes * 60_000);
          t.unref();
          timers.push(t);
        }
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await relay?.stop();
    },
    createToken: (o: Parameters<typeof createEnrolmentToken>[1]) => createEnrolmentToken({ ctx, signer }, o),
    enrol: (req: EnrolRequest, meta?: { ip?: string; requestId?: string }) => enrol({ ctx, signer }, req, meta),
    join: (o: Parameters<typeof join>[1]) => join({ ctx, signer }, o),
    receive,
    answerReconcile: (req: SignedRequest, meta?: { ip?: string; requestId?: string }) =>
      answerReconcile({ ctx, signer }, req, meta),
    answerNodeDownload: (req: SignedRequest, meta?: { ip?: string; requestId?: string }) =>
      answerNodeDownload({ sharing, signer }, req, meta),
    reconcile,
    registerAgencySystem: (o: Parameters<typeof registerAgencySystem>[1]) =>
      registerAgencySystem({ issuance: deps.issuance, signer }, o),
    intake: (
      node: string,
      messages: readonly Envelope[],
      meta?: { ip?: string; requestId?: string },
    ): Promise<BatchResult> => receiveBatch({ ctx }, intake, node, messages, meta),
    status: () => syncStatus(deps, role),
  };
}

export interface PeerStatus {
  readonly nodeId: string;
  readonly kind: string;
  readonly name: string;
  readonly regionCodes: string[];
  readonly baseUrl: string | null;
  readonly self: boolean;
  readonly enrolledAt: string;
  readonly revokedAt: string | null;
  readonly ackedSeq: string;
  readonly maxSeq: string;
  /** Messages received beyond a gap, waiting for the missing ones. */
  readonly waiting: string;
  readonly lastReceivedAt: string | null;
  /** Event time → receipt of the latest message, seconds. */
  readonly lastDelaySeconds: number | null;
  readonly messagesTotal: string;
  readonly duplicatesTotal: string;
  readonly rejectedTotal: string;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly certificates: number;
  readonly recentRejections: { seq: string; type: string; ref: string; error: unknown; receivedAt: string }[];
}

export async function syncStatus(deps: SyncModuleDeps, role: 'all' | 'city' | 'province') {
  const { ctx } = deps;
  const db = ctx.store.db;
  const cfg = ctx.config.sync;
  const now = ctx.now();
  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  let upstream = null;
  if (role !== 'province') {
    const r = await repo.getRelay(db);
    const b = await repo.backlog(db);
    upstream = {
      joined: !!r?.province_node_id,
      provinceNodeId: r?.province_node_id ?? null,
      provinceName: r?.province_name ?? null,
      provinceUrl: r?.province_url ?? null,
      regionCodes: r?.region_codes ?? [],
      joinedAt: iso(r?.joined_at),
      lastSeq: b.lastSeq,
      ackedSeq: r?.acked_seq ?? '0',
      lagMessages: b.unacked + b.unsequenced,
      backlog: { unsequenced: b.unsequenced, unacknowledged: b.unacked },
      lagSeconds: b.oldestAt ? Math.max(0, (now.getTime() - b.oldestAt.getTime()) / 1000) : 0,
      lastAttemptAt: iso(r?.last_attempt_at),
      lastSuccessAt: iso(r?.last_success_at),
      consecutiveFailures: r?.consecutive_failures ?? 0,
      failuresTotal: r?.failures_total ?? '0',
      lastError: r?.last_error ?? null,
      lastErrorAt: iso(r?.last_error_at),
      nextAttemptAt: iso(r?.next_attempt_at),
      pushedTotal: r?.pushed_total ?? '0',
    };
  }
  const counts = new Map((await library.countsByNode(db)).map((c) => [c.node_id, c.n]));
  const peers: PeerStatus[] = [];
  for (const p of await repo.listPeers(db)) {
    const rejections = await repo.recentRejections(db, p.peer_id, 5);
    peers.push({
      nodeId: p.peer_id,
      kind: p.kind,
      name: p.name,
      regionCodes: p.region_codes,
      baseUrl: p.base_url,
      self: p.is_self,
      enrolledAt: p.enrolled_at.toISOString(),
      revokedAt: iso(p.revoked_at),
      ackedSeq: p.acked_seq,
      maxSeq: p.max_seq,
      waiting: String(BigInt(p.max_seq) > BigInt(p.acked_seq) ? BigInt(p.max_seq) - BigInt(p.acked_seq) : 0n),
      lastReceivedAt: iso(p.last_received_at),
      lastDelaySeconds:
        p.last_received_at && p.last_event_at
          ? Math.max(0, (p.last_received_at.getTime() - p.last_event_at.getTime()) / 1000)
          : null,
      messagesTotal: p.messages_total,
      duplicatesTotal: p.duplicates_total,
      rejectedTotal: p.rejected_total,
      lastError: p.last_error,
      lastErrorAt: iso(p.last_error_at),
      certificates: counts.get(p.peer_id) ?? 0,
      recentRejections: rejections.map((x) => ({
        seq: x.seq,
        type: x.type,
        ref: x.ref,
        error: x.error ? (JSON.parse(x.error) as unknown) : null,
        receivedAt: x.received_at.toISOString(),
      })),
    });
  }
  const recon = await repo.recentReconciliations(db, 10);
  return {
    role,
    nodeId: cfg.nodeId,
    nodeName: cfg.nodeName,
    mode: cfg.mode,
    times: [...cfg.times],
    now: now.toISOString(),
    upstream,
    peers,
    reconciliations: recon.map((x) => ({
      id: x.id,
      side: x.side,
      peer: x.peer_id,
      status: x.status,
      startedAt: x.started_at.toISOString(),
      finishedAt: iso(x.finished_at),
      daysCompared: x.days_compared,
      certificates: x.certificates,
      diverging: x.diverging,
      repaired: x.repaired,
      error: x.error,
    })),
  };
}

export type SyncStatus = Awaited<ReturnType<typeof syncStatus>>;
