import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabaseUrl } from '../support/store.js';
import { freePort } from './support.js';

/**
 * bdcert nodes as real child processes (`bdcert start`) on loopback, each with its own DATA_DIR and database (PGlite,
 * or a fresh PostgreSQL database when BDCERT_TEST_PG_URL is set), a TCP proxy that can cut a link, and small HTTP
 * helpers. Used by test/sync/federation.test.ts and bench/sync.ts.
 */
export const MASTER: Record<string, string> = {
  henan: 'd4'.repeat(32),
  'city-4115': 'e5'.repeat(32),
  'city-4113': 'f6'.repeat(32),
};

export interface Node {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  out: string;
  exited?: Promise<number | null>;
  passwords: Map<string, string>;
  drop?: () => Promise<void>;
}

export async function makeNode(name: string, role: 'province' | 'city', extra: Record<string, string>): Promise<Node> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bdcert-fed-${name}-`));
  const pgdb = await createTestDatabaseUrl();
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    out: '',
    passwords: new Map(),
    ...(pgdb ? { drop: pgdb.drop } : {}),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: pgdb?.url ?? '',
      BDCERT_MODE: 'demo',
      BDCERT_ROLE: role,
      BDCERT_NODE_ID: name,
      BDCERT_MASTER_KEY: MASTER[name] ?? '9c'.repeat(32),
      LOG_LEVEL: 'warn',
      BDCERT_SYNC_POLL_MS: '200',
      BDCERT_SYNC_RETRY_MAX_MS: '1500',
      BDCERT_SYNC_RECONCILE_MINUTES: '0',
      ...extra,
    },
  };
}

/** Starts `bdcert start` and waits for the banner (URL and the demo sign-ins it prints). */
export function start(n: Node, timeoutMs = 180_000): Promise<void> {
  n.out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    env: n.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  n.child = child;
  n.exited = new Promise((r) => child.on('exit', (code) => r(code)));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${n.name}: no banner within ${timeoutMs} ms:\n${n.out}\n${err}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (d: Buffer) => {
      n.out += d.toString();
      if (/权利人登录验证码/.test(n.out)) {
        for (const m of n.out.matchAll(/^ {4}(\S+)\s+(\S+) {3}/gm)) n.passwords.set(m[1]!, m[2]!);
        const c = /接口凭证 API client: (\S+) \/ (\S+)/.exec(n.out);
        if (c) n.passwords.set('client', `${c[1]}:${c[2]}`);
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${n.name} exited ${code} before starting:\n${n.out}\n${err}`));
    });
  });
}

export async function stop(n: Node, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!n.child || n.child.exitCode !== null || n.child.signalCode) return;
  n.child.kill(signal);
  await n.exited;
}

/** A TCP proxy of our own between a city and the province: `cut()` drops every connection and refuses new ones. */
export class CutProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  async listen(): Promise<void> {
    this.server = createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = connect(this.target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }
  restore(): void {
    this.refusing = false;
  }
  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server?.close(r));
  }
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function login(n: Node, username: string): Promise<string> {
  const password = n.passwords.get(username);
  assert.ok(password, `${n.name}: no demo password for ${username}`);
  const r = await json<{ token: string }>(
    await fetch(`${n.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
  );
  return r.token;
}

export const api = async <T = Record<string, unknown>>(
  n: Node,
  token: string,
  path: string,
  body?: unknown,
): Promise<T> =>
  json<T>(
    await fetch(`${n.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

export interface Upstream {
  joined: boolean;
  ackedSeq: string;
  lastSeq: string;
  lagMessages: number;
  consecutiveFailures: number;
  lastError: string | null;
}
export const upstream = async (n: Node, token: string) =>
  (await api<{ upstream: Upstream }>(n, token, '/api/v1/sync/status')).upstream;
