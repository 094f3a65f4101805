import { mkdirSync } from 'node:fs';
import type { Config } from './config.js';
import { type App, buildServer, createLogger } from './http/server.js';
import { seedDemo } from './modules/demo/seed.js';
import { resumeBatches, startScheduler } from './modules/issuance/sealing.js';
import { createServices, routePlugins } from './modules/services.js';
import { openStore, type Store } from './store/database.js';
import { migrateToLatest } from './store/migrate.js';

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
}

export async function openConfiguredStore(config: Config): Promise<Store> {
  mkdirSync(config.dataDir, { recursive: true });
  return openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<RunningApp> {
  const store = await openConfiguredStore(config);
  try {
    await migrateToLatest(store.db);
    const log = opts.logger === false ? createLogger('silent') : createLogger(config.logLevel);
    const services = await createServices(config, store, { log });
    const demo = await seedDemo(config, store);
    // Finish sealing batches a crash interrupted, then seal on schedule (12:00/18:00 by default) from now on.
    const stopScheduler = startScheduler(services.issuance);
    void resumeBatches(services.issuance).catch((err: unknown) => log.error({ err }, 'resuming seal batches failed'));
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
        ...demo.notes.map((n) => `  ${n}`),
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
export function installShutdown(running: RunningApp, timeoutMs = 25_000): void {
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
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
