import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

const TSX = ['--import', 'tsx'];

/** Child processes of `pid` (Linux: /proc/<pid>/task/<pid>/children), the node workers of a cluster primary. */
function children(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `bdcert start` with two workers on a fresh PostgreSQL database, its output collected, once both are ready. */
async function startCluster(): Promise<{
  child: ChildProcess;
  url: string;
  workers: number[];
  exited: Promise<number | null>;
  output: () => string;
  dispose: () => Promise<void>;
}> {
  const db = await createTestDatabaseUrl();
  assert.ok(db);
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-cluster-'));
  let out = '';
  const child = spawn(process.execPath, [...TSX, 'src/cli/main.ts', 'start'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dir, DATABASE_URL: db.url, BDCERT_WORKERS: '2', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const dispose = async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  };
  try {
    const url = await until('the banner', () => /地址 URL:\s+(http:\/\/\S+)/.exec(out)?.[1]);
    const workers = await until('two workers', () => {
      const c = children(child.pid ?? -1);
      return c.length === 2 && (out.match(/"msg":"worker ready"/g) ?? []).length === 2 ? c : undefined;
    });
    return { child, url, workers, exited, output: () => out, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** GET on a new connection each time (no keep-alive), so the cluster can hand each one to another worker. */
const getFresh = (url: string) =>
  new Promise<number>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

const PG_ONLY = { skip: TEST_BACKEND !== 'postgres' && 'several workers need PostgreSQL (BDCERT_TEST_PG_URL)' };

describe('bdcert start with BDCERT_WORKERS', () => {
  test('more than one worker on the embedded database stops with an error naming BDCERT_WORKERS', () => {
    const r = spawnSync(process.execPath, [...TSX, 'src/cli/main.ts', 'start'], {
      env: { ...process.env, BDCERT_WORKERS: '2', DATABASE_URL: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /BDCERT_WORKERS="2": expected 1 with the embedded database/);
    const bad = spawnSync(process.execPath, [...TSX, 'src/cli/main.ts', 'start'], {
      env: { ...process.env, BDCERT_WORKERS: 'many' },
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /BDCERT_WORKERS="many": expected auto or an integer 1–64/);
  });

  test(
    'a primary killed with SIGKILL takes its workers down with it (no worker serves unsupervised)',
    PG_ONLY,
    async () => {
      const c = await startCluster();
      try {
        c.child.kill('SIGKILL');
        for (const w of c.workers) await until(`worker ${w} to exit`, () => (alive(w) ? undefined : true), 30_000);
      } finally {
        await c.dispose();
      }
    },
  );

  test('two workers share the port; a killed worker is replaced; SIGTERM stops them all, exit 0', PG_ONLY, async () => {
    const c = await startCluster();
    try {
      const pid = c.child.pid ?? -1;
      const first = c.workers;
      // Only the first worker runs the node's background duties (sealing schedule, imports, sync).
      const ready = c
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"worker ready"'));
      assert.equal(ready.filter((l) => l.includes('"background":true')).length, 1, ready.join('\n'));
      // Both serve: requests on new connections are answered by both worker processes (their access-log lines).
      for (let i = 0; i < 20; i++) assert.equal(await getFresh(`${c.url}/readyz`), 200);
      const servedBy = await until(
        'access-log lines of both workers',
        () => {
          const pids = new Set(
            c
              .output()
              .split('\n')
              .filter((l) => l.includes('"msg":"request completed"') && l.includes('/readyz'))
              .map((l) => (JSON.parse(l) as { pid: number }).pid),
          );
          return pids.size === 2 ? pids : undefined;
        },
        10_000,
      );
      assert.deepEqual([...servedBy].sort(), [...first].sort());

      process.kill(first[1]!, 'SIGKILL');
      const replaced = await until('a replacement worker', () => {
        const now = children(pid).filter(alive);
        return now.length === 2 && !now.includes(first[1]!) ? now : undefined;
      });
      assert.ok(replaced.includes(first[0]!), 'the surviving worker keeps serving');
      assert.match(c.output(), /worker exited; starting a new one/);
      for (let i = 0; i < 20; i++) assert.equal(await getFresh(`${c.url}/healthz`), 200);

      c.child.kill('SIGTERM');
      assert.equal(await c.exited, 0, c.output());
      for (const w of replaced) await until(`worker ${w} to exit`, () => (alive(w) ? undefined : true), 10_000);
      await assert.rejects(getFresh(`${c.url}/healthz`));
    } finally {
      await c.dispose();
    }
  });
});
