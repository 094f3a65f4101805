import cluster, { type Worker } from 'node:cluster';
import { installShutdown, type RunningApp, startApp } from '../app.js';
import type { Config } from '../config.js';

/**
 * `bdcert start` with BDCERT_WORKERS > 1 (PostgreSQL only): one Node process serves HTTP on one core, so a node with
 * several cores runs several workers that share the listening port (node:cluster hands connections round-robin).
 *
 * - Worker 0 starts first and alone: it migrates, seeds the demo and prints the banner, and it is the only one that
 *   runs the node's background duties (sealing schedule, table imports, sync loops). The others start once it is
 *   ready and only serve HTTP. Every state they share lives in the database (sessions, lockouts, SMS codes, the audit
 *   chain, sealing batches with their row locks), so any worker can answer any request.
 * - A worker that dies is replaced (worker 0 by a new worker 0, which takes its duties over), after a short pause so a
 *   worker that cannot start does not spin.
 * - SIGTERM/SIGINT to the primary stops every worker gracefully (each finishes its in-flight requests) and the
 *   primary exits 0 when all did. A worker whose primary is gone (kill -9) stops too: it never serves unsupervised.
 * - Per-address rate limits are counted in each worker; each worker allows its share of the configured limit.
 */
export function runCluster(config: Config): void {
  if (cluster.isPrimary) primary(config);
  else void worker(config);
}

const RESPAWN_DELAY_MS = 1000;

function primary(config: Config): void {
  const n = config.workers;
  const byIndex = new Map<number, Worker>();
  let stopping = false;
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg, component: 'cluster', ...extra })}\n`,
    );

  const fork = (index: number): Worker => {
    const w = cluster.fork({ BDCERT_WORKER_INDEX: String(index) });
    byIndex.set(index, w);
    w.on('message', (m: unknown) => {
      // The first worker is ready: the database is migrated and seeded, the others may start.
      if (index === 0 && isReady(m) && byIndex.size < n && !stopping) for (let i = 1; i < n; i++) fork(i);
    });
    w.on('exit', (code, signal) => {
      if (byIndex.get(index) === w) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) process.exit(0);
        return;
      }
      log('worker exited; starting a new one / 工作进程退出，重新启动', { worker: index, code, signal });
      setTimeout(() => {
        if (!stopping) fork(index);
      }, RESPAWN_DELAY_MS).unref();
    });
    return w;
  };

  const stop = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    log('stopping workers / 停止工作进程', { signal: sig, workers: byIndex.size });
    if (byIndex.size === 0) process.exit(0);
    for (const w of byIndex.values()) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), 30_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log('starting workers / 启动工作进程', { workers: n });
  fork(0);
}

async function worker(config: Config): Promise<void> {
  const index = Number(process.env.BDCERT_WORKER_INDEX ?? '0');
  const share = (limit: number) => Math.max(1, Math.ceil(limit / config.workers));
  const own: Config = {
    ...config,
    // The sealing batches run in worker 0; the others render only the odd 加注件 (share/download), so one render
    // thread each is enough (instead of one per core in every process).
    ...(index > 0 ? { renderWorkers: Math.min(config.renderWorkers ?? 1, 1) } : {}),
    ports: {
      ...config.ports,
      rateLimits: {
        sharePerMinute: share(config.ports.rateLimits.sharePerMinute),
        publicPerMinute: share(config.ports.rateLimits.publicPerMinute),
      },
    },
  };
  let running: RunningApp;
  try {
    running = await startApp(own, { banner: index === 0, background: index === 0 });
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
  running.app.log.info({ worker: index, background: index === 0 }, 'worker ready');
  // Only the primary tells a worker to stop (SIGTERM). Ctrl-C in a terminal signals the whole process group: the
  // workers ignore that SIGINT and wait for the primary's SIGTERM, so it is not taken as a second, forcing signal.
  process.on('SIGINT', () => {});
  installShutdown(running, 25_000, ['SIGTERM']);
  // The primary was killed without stopping us: stop as if told to.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.send?.({ bdcert: 'ready' });
}

function isReady(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as { bdcert?: unknown }).bdcert === 'ready';
}
