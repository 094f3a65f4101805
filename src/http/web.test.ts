import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import type { App } from './server.js';
import { webRoutes } from './web.js';

async function appWith(dist: string): Promise<App> {
  const app = Fastify() as unknown as App;
  app.get('/api/v1/ping', async () => ({ ok: true }));
  await app.register(async (scope) => webRoutes(scope as unknown as App, dist));
  await app.ready();
  return app;
}

describe('webRoutes', () => {
  const dist = mkdtempSync(join(tmpdir(), 'bdcert-webdist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>bdcert</title>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');

  test('SPA paths answer index.html (deep links work), bundles are immutable, /api stays JSON', async () => {
    const app = await appWith(dist);
    for (const url of ['/', '/login', '/console/seal-queue', '/holder', '/verify/abc', '/v/sometoken']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(r.headers['content-type'] as string, /text\/html/);
      assert.match(r.body, /<title>bdcert/);
    }
    const js = await app.inject({ url: '/assets/index-abc.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['cache-control'] as string, /immutable/);
    assert.equal((await app.inject({ url: '/api/v1/ping' })).json().ok, true);
    const miss = await app.inject({ url: '/api/v1/nope' });
    assert.equal(miss.statusCode, 404);
    assert.doesNotMatch(miss.body, /<title>/);
    assert.equal((await app.inject({ url: '/assets/missing.js' })).statusCode, 404);
    await app.close();
  });

  test('without a build the SPA paths say how to build instead of a blank page', async () => {
    const app = await appWith(mkdtempSync(join(tmpdir(), 'bdcert-nodist-')));
    const r = await app.inject({ url: '/console' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run web:build/);
    await app.close();
  });

  test('a module that already answers /v/:token keeps it', async () => {
    const app = Fastify() as unknown as App;
    app.get('/v/:token', async () => 'module');
    await app.register(async (scope) => webRoutes(scope as unknown as App, dist));
    await app.ready();
    assert.equal((await app.inject({ url: '/v/x' })).body, 'module');
    await app.close();
  });
});
