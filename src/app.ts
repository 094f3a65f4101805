import { mkdirSync } from 'node:fs';
import type { Config } from './config.js';
import { type App, buildServer, createLogger } from './http/server.js';
import { demoCertificates } from './modules/demo/certificates.js';
import { seedDemo } from './modules/demo/seed.js';
// The scheduler catches up a sealing time missed while the process was down (schedule.ts).
import { startScheduler } from './modules/issuance/schedule.js';
import { resumeBatches } from './modules/issuance/sealing.js';
import { createServices, routePlugins } from './modules/services.js';
import { openStore, type Store } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';
import { auditGuard, migrateAsOwner, ownerMigrationFromEnv } from './store/roles.js';

export interface RunningApp {
  readonly app: App;
  readonly store: Store;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly extraPlugins?: readonly ((app: App) => Promise<void> | void)[];
  readonly logger?: Parameters<typeof buildServer>[0]['logger'];
  /** Print the banner (URL, demo sign-ins) to stdout. */
  readonly banner?: boolean;
  /** Environment for the database roles (BDCERT_MIGRATION_DATABASE_URL …); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * false for the second and later workers of a cluster (src/cli/cluster.ts): they only serve HTTP. Migrating,
   * seeding the demo, the sealing schedule, table imports and the sync loops are the first worker's, once per node.
   */
  readonly background?: boolean;
}

export async function openConfiguredStore(config: Config, onConnectionError?: (err: Error) => void): Promise<Store> {
  mkdirSync(config.dataDir, { recursive: true });
  return openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    onConnectionError,
  });
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<RunningApp> {
  // Two database roles (docs/database-roles.md): the owner migrates and grants, then the application role connects.
  const background = opts.background ?? true;
  const owner = background && config.databaseUrl ? ownerMigrationFromEnv(opts.env ?? process.env) : undefined;
  if (owner) await migrateAsOwner(owner);
  const log = opts.logger === false ? createLogger('silent') : createLogger(config.logLevel);
  const store = await openConfiguredStore(config, (err) =>
    log.warn(
      { err: err.message },
      '数据库连接中断，将重新连接 / a database connection was lost; the next query reconnects',
    ),
  );
  try {
    if (background && !owner) await migrateToLatest(store.db);
    if (store.kind === 'postgres') {
      const g = await auditGuard(store.db);
      // Issue 7 §5: on PostgreSQL the application role must not be able to change the audit log; say so loudly.
      if (g.enforcedBy === 'trigger-only')
        log.warn(
          { role: g.role, owner: g.owner, superuser: g.superuser },
          '应用数据库角色可修改审计日志（仅触发器防护），请配置迁移角色与应用角色 / the application role owns the audit log or is a superuser: only the triggers guard it — set up the owner and application roles (docs/database-roles.md)',
        );
    }
    const services = await createServices(config, store, { log });
    const demo = background ? await seedDemo(config, store) : { created: false, notes: [] };
    let stopScheduler = () => {};
    let stopImports = () => {};
    if (background) {
      // Issue 2 §6: the first demo start also records and seals a few certificates for the demo holder (before the
      // scheduler starts, so it finds nothing pending).
      demo.notes.push(...(await demoCertificates(services.issuance, { create: demo.created })));
      // Finish sealing batches a crash interrupted, then seal on schedule (12:00/18:00 by default) from now on.
      stopScheduler = startScheduler(services.issuance);
      // Table imports a stopped node left unfinished continue here (and every minute, for other nodes' runs).
      stopImports = services.imports.start();
      void resumeBatches(services.issuance).catch((err: unknown) => log.error({ err }, 'resuming seal batches failed'));
    }
    const app = await buildServer({
      config,
      store,
      plugins: [...routePlugins(services), ...(opts.extraPlugins ?? [])],
      loggerInstance: log,
    });
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    // Sync loops of the node's role (relay, reconciliation, automatic join): docs/sync.md.
    if (background) await services.sync.start({ baseUrl: config.baseUrl });
    app.log.info(
      { url, mode: config.mode, role: config.role, database: store.kind, location: store.location },
      'bdcert started',
    );
    if (opts.banner) {
      const lines = [
        '',
        `bdcert 不动产登记电子证照平台 已启动 / started`,
        `  地址 URL:        ${url}`,
        `  接口文档 API:    ${url}/api/docs`,
        `  模式 mode:       ${config.mode === 'demo' ? '演示 demo（含演示数据与模拟器 / demo data and simulators）' : '生产 production'}`,
        `  角色 role:       ${config.role}`,
        `  数据库 database: ${store.kind} (${store.location})`,
        ...(demo.created ? ['  演示数据已创建 / demo data created'] : []),
        ...demo.notes.map((n) => `  ${n.replaceAll('{url}', url)}`),
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    let stopping: Promise<void> | undefined;
    return {
      app,
      store,
      url,
      stop() {
        stopping ??= (async () => {
          stopScheduler();
          stopImports();
          await services.sync.stop();
          await app.close();
          await store.close();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** SIGTERM/SIGINT: graceful stop, exit 0; a second signal or a stuck close exits 1. */
export function installShutdown(
  running: RunningApp,
  timeoutMs = 25_000,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    running.app.log.info({ signal: sig }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      running.app.log.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.stop().then(
      () => {
        running.app.log.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        running.app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  for (const sig of signals) process.once(sig, onSignal);
}
