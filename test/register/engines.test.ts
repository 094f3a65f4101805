import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import Fastify from 'fastify';

/**
 * `npm ci` warns EBADENGINE for content-disposition@3.0.0 (@fastify/static) and cookie@2.0.2 (light-my-request), which
 * declare Node ≥ 22; bdcert runs on Node 20 (README “Development”). This keeps the claim that both work here honest.
 */
describe(`dependencies that declare Node ≥ 22 work on ${process.version}`, () => {
  test('content-disposition@3 as @fastify/static loads it (reply.download only)', () => {
    const require = createRequire(import.meta.url);
    const cd = require(require.resolve('content-disposition', { paths: [require.resolve('@fastify/static')] })) as {
      create: (name: string) => string;
    };
    assert.equal(cd.create('证书.pdf'), `attachment; filename="??.pdf"; filename*=UTF-8''%E8%AF%81%E4%B9%A6.pdf`);
  });

  test('cookie@2 through light-my-request (inject with cookies, tests only)', async () => {
    const app = Fastify();
    app.get('/', async (req) => ({ cookie: req.headers.cookie }));
    const r = await app.inject({ url: '/', cookies: { a: '1', b: '中' } });
    assert.equal(r.json().cookie, 'a=1; b=%E4%B8%AD');
    await app.close();
  });
});
