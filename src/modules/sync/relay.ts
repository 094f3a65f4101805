import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Sm2Signer } from '../../crypto/sm2.js';
import type { CatalogConfig } from '../../domain/catalog.js';
import { backoffMs, dueSlot } from '../../domain/sync.js';
import { recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import {
  type Envelope,
  publicKeyOf,
  type SignedRequest,
  SignedResponse,
  signEnvelope,
  verifyResponse,
} from './protocol.js';
import * as repo from './repository.js';
import { type BuiltMessage, buildMessage } from './state.js';

/**
 * The relay (city side; Henan 三(一)6: 将电子证照目录信息、照面信息推送至省电子证照系统): numbers the outbox events that
 * matter into the node's gap-free sequence (`repo.sequenceOutbox`), builds a signed envelope with the object's full
 * current state for each, and pushes them in batches to the province, which answers the highest contiguous seq it
 * holds. Delivery is at-least-once: a batch is resent until acknowledged; the receiver is idempotent on (node, seq),
 * so the effect is exactly once. Failures back off exponentially with jitter. In real-time mode the relay wakes every
 * `pollMs` (and on `kick()`); in scheduled mode it drains the backlog at the configured times (Henan 三(一)3: 不低于
 * 每天2次).
 */
export interface Upstream {
  /** Sends a batch; resolves with the province's ack, throws on any failure (network, refusal, bad signature). */
  push(messages: readonly Envelope[]): Promise<{ ack: string; results: unknown[] }>;
  /** A signed node-to-node request to the province (reconciliation). */
  call(path: string, request: SignedRequest): Promise<SignedResponse>;
}

export interface RelayDeps {
  readonly ctx: ServiceContext;
  readonly signer: Sm2Signer;
  readonly catalogConfig: CatalogConfig;
  /** The transport to the province: HTTP, or in-process when the province is this node (BDCERT_ROLE=all). */
  readonly upstream: (relay: repo.RelayRow) => Upstream;
}

const BASE_RETRY_MS = 500;
const LEASE_MS = 30_000;

export class SyncRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private draining = false;
  private readonly done = new Set<string>();
  private readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(private readonly deps: RelayDeps) {}

  private get cfg() {
    return this.deps.ctx.config.sync;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.tick().finally(() => {
          this.running = undefined;
          loop();
        });
      }, this.cfg.pollMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await repo.releaseLease(this.deps.ctx.store.db, this.owner).catch(() => undefined);
  }

  /** Push now (also in scheduled mode): the console's 「立即同步」 and reconciliation repairs. */
  kick(): void {
    this.draining = true;
  }

  private async tick(): Promise<void> {
    const { ctx } = this.deps;
    try {
      if (this.cfg.mode === 'scheduled' && !this.draining) {
        const slot = dueSlot(ctx.now(), this.cfg.times, this.done);
        if (!slot) return;
        this.done.add(slot);
        this.draining = true;
        ctx.log.info({ slot }, 'sync: scheduled push');
      }
      const relay = await repo.getRelay(ctx.store.db);
      if (!relay?.province_node_id) return; // not joined yet
      if (relay.next_attempt_at && relay.next_attempt_at > ctx.now()) return; // backing off
      const r = await this.drain();
      if (r.idle) this.draining = false;
    } catch (e) {
      ctx.log.error({ err: e instanceof Error ? e.message : String(e) }, 'sync relay tick failed');
    }
  }

  /**
   * Sequences and pushes until nothing is left, a push fails, or `maxBatches` batches went out. Returns whether the
   * backlog is empty. Safe to call from several processes: the lease lets one push at a time.
   */
  async drain(maxBatches = 50): Promise<{ idle: boolean; pushed: number; error?: string }> {
    const { ctx } = this.deps;
    const db = ctx.store.db;
    let pushed = 0;
    for (let i = 0; i < maxBatches; i++) {
      await this.sequence();
      const now = ctx.now();
      if (!(await repo.takeLease(db, this.owner, now, new Date(now.getTime() + LEASE_MS))))
        return { idle: false, pushed };
      const relay = (await repo.getRelay(db))!;
      const rows = await repo.outboundAfter(db, relay.acked_seq, this.cfg.batchSize);
      if (rows.length === 0) return { idle: true, pushed };
      const r = await this.pushBatch(relay, rows);
      if (r.error) return { idle: false, pushed, error: r.error };
      pushed += rows.length;
    }
    return { idle: false, pushed };
  }

  /** Numbers committed outbox events (repo.sequenceOutbox probes first, so an idle node takes no lock). */
  async sequence(): Promise<number> {
    const db = this.deps.ctx.store.db;
    let n = 0;
    for (;;) {
      const got = await repo.sequenceOutbox(db, 2000, this.deps.ctx.now());
      n += got;
      if (got < 2000) return n;
    }
  }

  private async pushBatch(relay: repo.RelayRow, rows: repo.OutboundRow[]): Promise<{ error?: string }> {
    const { ctx, signer } = this.deps;
    const db = ctx.store.db;
    const cache = new Map<string, BuiltMessage>();
    const started = ctx.now();
    try {
      const messages: Envelope[] = [];
      for (const row of rows) {
        const m = await buildMessage(
          { store: ctx.store, fieldCrypto: ctx.fieldCrypto, catalogConfig: this.deps.catalogConfig },
          row,
          relay.region_codes,
          cache,
        );
        messages.push(
          await signEnvelope(signer, {
            node: ctx.config.sync.nodeId,
            seq: row.seq,
            type: m.type,
            id: m.id,
            event: row.event_type,
            at: row.event_at.toISOString(),
            payload: m.payload,
          }),
        );
      }
      const res = await this.deps.upstream(relay).push(messages);
      const before = BigInt(relay.acked_seq);
      const ack = BigInt(res.ack);
      if (ack === before) {
        // The province answered but recorded none of them (e.g. it refused every signature): a failure, backed off.
        throw new Error(
          `省级节点未确认序号 ${rows[0]!.seq} 起的消息 / province did not acknowledge from seq ${rows[0]!.seq}`,
        );
      }
      // ack < before: the province lost data (e.g. restored from a backup); we resend from its ack.
      const at = ctx.now();
      await repo.recordPushSuccess(db, { acked: res.ack, pushed: messages.length, at });
      await recordAudit(db, {
        actor: { kind: 'system', id: 'sync-relay' },
        action: 'sync.push',
        objectType: 'sync-peer',
        objectId: relay.province_node_id ?? '',
        result: 'success',
        details: { from: rows[0]!.seq, to: rows.at(-1)!.seq, ack: res.ack, messages: messages.length },
      });
      ctx.log.debug(
        { from: rows[0]!.seq, to: rows.at(-1)!.seq, ack: res.ack, ms: at.getTime() - started.getTime() },
        'sync: pushed',
      );
      return {};
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const at = ctx.now();
      const failures = relay.consecutive_failures + 1;
      const next = new Date(at.getTime() + backoffMs(failures, BASE_RETRY_MS, this.cfg.retryMaxMs));
      await repo.recordPushFailure(db, { error: msg, at, next }).catch(() => undefined);
      // Never the payload: it holds names and ID numbers.
      ctx.log.warn({ err: msg, failures, retryAt: next.toISOString() }, 'sync: push failed, will retry');
      return { error: msg };
    }
  }
}

// ---------------------------------------------------------------- HTTP transport

const PushAnswer = z.object({ ack: z.string().regex(/^\d+$/), results: z.array(z.unknown()) });

/** HTTPS to the province (HTTP on loopback in tests), with a timeout; the answer must carry the province's signature. */
export function httpUpstream(relay: repo.RelayRow, nodeId: string, timeoutMs = 15_000): Upstream {
  const base = relay.province_url!;
  const key = publicKeyOf(relay.province_public_key!);
  const post = async (path: string, body: unknown): Promise<SignedResponse> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bdcert-node': nodeId },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`province ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    const parsed = SignedResponse.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`province ${path}: malformed answer`);
    if (parsed.data.node !== relay.province_node_id || !verifyResponse(parsed.data, key))
      throw new Error(`province ${path}: answer not signed by the enrolled province key`);
    return parsed.data;
  };
  return {
    async push(messages) {
      const r = await post('/api/v1/sync/push', { node: nodeId, messages });
      const a = PushAnswer.parse(r.payload);
      return { ack: a.ack, results: a.results };
    },
    call: (path, request) => post(path, request),
  };
}
