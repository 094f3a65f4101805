import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { createTestDatabaseUrl } from '../support/store.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Skip only when Chromium is missing and BDCERT_REQUIRE_BROWSER is unset — loudly, so nobody takes it for a pass. */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.BDCERT_REQUIRE_BROWSER) throw new Error(`${CHROMIUM} is missing but BDCERT_REQUIRE_BROWSER is set`);
  const msg = `SKIPPED: ${CHROMIUM} not found — the web UI browser tests did NOT run. Run scripts/ci-apt.sh.`;
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${msg}\n${'!'.repeat(100)}\n\n`);
  return msg;
}

/** Builds web/dist when missing or older than web/src (the server serves the built app). */
export function ensureWebBuilt(): void {
  const index = join(PACKAGE_ROOT, 'web/dist/index.html');
  const newest = (d: string): number =>
    Math.max(
      0,
      ...execFileSync('find', [d, '-type', 'f'], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((f) => statSync(f).mtimeMs),
    );
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(PACKAGE_ROOT, 'web/src'))) return;
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'], {
    cwd: PACKAGE_ROOT,
    stdio: 'inherit',
  });
}

export interface Server {
  url: string;
  passwords: Map<string, string>;
  client: { id: string; secret: string };
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The real server as a child process (demo mode, fresh data dir, PORT=0); URL and demo sign-ins from its banner.
 * Its database is never inherited: a DATABASE_URL in the caller's environment (CI's admin URL) would seed the demo
 * into that database. On the PostgreSQL run (BDCERT_TEST_PG_URL) it gets a fresh database of its own, else PGlite.
 */
export async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bdcert-web-'));
  const { DATABASE_URL: _inherited, ...env } = process.env;
  const pg = await createTestDatabaseUrl();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    cwd: PACKAGE_ROOT,
    env: { ...env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(pg ? { DATABASE_URL: pg.url } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stderr?.on('data', (d) => {
    out += String(d);
  });
  const banner = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 90_000);
    proc.stdout?.on('data', (d) => {
      out += String(d);
      if (/接口凭证 API client:.*\n/.test(out)) {
        clearTimeout(timer);
        ok(out);
      }
    });
    proc.on('exit', (c) => fail(new Error(`server exited ${c}:\n${out}`)));
  });
  const url = /地址 URL:\s+(\S+)/.exec(banner)?.[1];
  if (!url) throw new Error(`no URL in banner:\n${banner}`);
  const passwords = new Map<string, string>();
  for (const m of banner.matchAll(/^\s+(\S+-(?:admin|registrar|sealer|auditor))\s+(\S+)\s/gm))
    passwords.set(m[1]!, m[2]!);
  const c = /接口凭证 API client:\s+(\S+)\s+\/\s+(\S+)/.exec(banner);
  if (!c) throw new Error('no API client in banner');
  return {
    url,
    passwords,
    client: { id: c[1]!, secret: c[2]! },
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
      await pg?.drop();
    },
  };
}

export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'bdcert-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    locale: 'zh-CN',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const RESULTS = join(PACKAGE_ROOT, 'test-results', 'browser');
const DOCS = join(PACKAGE_ROOT, 'docs', 'screenshots');

/** Every shot goes to test-results/browser; with BDCERT_SCREENSHOTS=1 the main pages are refreshed in docs/screenshots. */
export async function shot(page: Page, name: string, opts: { docs?: boolean; fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: opts.fullPage ?? false });
  if (opts.docs && process.env.BDCERT_SCREENSHOTS) {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, `${name}.png`), fullPage: opts.fullPage ?? false });
  }
}

const AXE = join(PACKAGE_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * Runs axe-core (injected from node_modules, no network) on the page and fails on any serious or critical violation
 * of WCAG 2.x A/AA and axe's best practices; the full list goes to test-results/browser/axe-<name>.json.
 */
export async function checkA11y(page: Page, name: string): Promise<void> {
  // Let finite animations end first (Ant Design's popups and modals leave by CSS motion): a closing dropdown still in
  // view would be judged half-gone. Endless ones (spinners) are not waited for.
  await page.evaluate(
    'Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => undefined)))',
  );
  await page.addScriptTag({ path: AXE });
  // A string expression: it runs in the page, where the injected script defined the global `axe`.
  const violations = await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  );
  const list = violations as AxeViolation[];
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `axe-${name}.json`), JSON.stringify(list, null, 2));
  const bad = list.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length)
    throw new Error(
      `accessibility (${name}): ${bad.length} serious/critical violation(s):\n${bad
        .map(
          (v) =>
            `  ${v.id} [${v.impact}] ${v.help}\n${v.nodes
              .slice(0, 5)
              .map(
                (n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(0, 2).join(' ') ?? ''}`,
              )
              .join('\n')}`,
        )
        .join('\n')}`,
    );
}

/** Signs the browser context in as a staff user through the API (the session cookie is shared by its pages). */
export async function signInStaff(page: Page, s: Server, user: string): Promise<void> {
  const pw = s.passwords.get(user);
  if (!pw) throw new Error(`no demo password for ${user}`);
  const r = await page.request.post(`${s.url}/api/v1/auth/login`, { data: { username: user, password: pw } });
  if (!r.ok()) throw new Error(`sign-in ${user} → ${r.status()} ${await r.text()}`);
}

/** A JSON call with a bearer token (test set-up through the public API, as an integrating system would). */
export async function call<T>(
  base: string,
  path: string,
  opts: { token?: string; body?: unknown; basic?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.basic) headers.authorization = `Basic ${opts.basic}`;
  const r = await fetch(base + path, {
    method: opts.body === undefined ? 'GET' : 'POST',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path} → ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function staffToken(s: Server, user: string): Promise<string> {
  const pw = s.passwords.get(user);
  if (!pw) throw new Error(`no demo password for ${user}`);
  const r = await call<{ token: string; next: string }>(s.url, '/api/v1/auth/login', {
    body: { username: user, password: pw },
  });
  if (r.next !== 'done') throw new Error(`${user} needs ${r.next}`);
  return r.token;
}
