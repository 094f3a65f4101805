import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/database.js';

const TSX = ['--import', 'tsx'];

function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /地址 URL:\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
}

describe('bdcert start', () => {
  test('PORT=abc exits non-zero naming PORT', () => {
    const r = spawnSync(process.execPath, [...TSX, 'src/cli/main.ts', 'start'], {
      env: { ...process.env, PORT: 'abc' },
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /PORT="abc": expected an integer port number/);
  });

  test('SIGTERM lets the in-flight request finish, exits 0, and the database reopens cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-sigterm-'));
    try {
      const child = spawn(process.execPath, [...TSX, 'test/support/slow-server.ts'], {
        env: { ...process.env, PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'warn', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const url = await waitForUrl(child, 60_000);
      const inFlight = fetch(`${url}/probe/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
      await new Promise((r) => setTimeout(r, 300)); // the request is now being handled
      child.kill('SIGTERM');
      const res = await inFlight;
      assert.deepEqual(res, { status: 200, body: { finished: true } });
      assert.equal(await exited, 0);
      // New connections are refused after shutdown.
      await assert.rejects(fetch(`${url}/healthz`));
      const store = await openStore({ dataDir: dir });
      const seeded = await store.db.selectFrom('app_meta').selectAll().where('key', '=', 'demo.seeded_at').execute();
      assert.equal(seeded.length, 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
