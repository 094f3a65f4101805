import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/problem.js';
import { ApiError } from '../../src/http/errors.js';
import { type App, buildServer } from '../../src/http/server.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

describe(`http server [${TEST_BACKEND}]`, () => {
  let store: TestStore;
  let app: App;
  before(async () => {
    store = await openTestStore();
    app = await buildServer({
      config: loadConfig({}),
      store,
      logger: false,
      plugins: [
        (scope) => {
          const r = scope.withTypeProvider<ZodTypeProvider>();
          r.post(
            '/probe/echo',
            {
              schema: {
                body: z.object({
                  businessNo: z.string().min(1, '业务号不能为空||business number is required'),
                  area: z.number().positive(),
                  holders: z.array(z.object({ idNumber: z.string().length(18) })),
                }),
              },
            },
            async (req) => ({ ok: req.body.businessNo }),
          );
          r.get('/probe/domain', async () => {
            throw new DomainError('ILLEGAL_TRANSITION', '证照已注销，不能再次注销', 'Already cancelled', 'status');
          });
          r.get('/probe/forbidden', async () => {
            throw new ApiError('FORBIDDEN', '无权访问', 'Forbidden');
          });
          r.get('/probe/crash', async () => {
            throw new Error('secret internal detail');
          });
        },
      ],
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.dispose();
  });

  test('/healthz and /readyz', async () => {
    const h = await app.inject({ url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.deepEqual(h.json(), { status: 'ok' });
    const r = await app.inject({ url: '/readyz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ready', database: TEST_BACKEND });
  });

  test('/readyz answers 503 in the envelope when the database is gone', async () => {
    const s2 = await openTestStore();
    const a2 = await buildServer({ config: loadConfig({}), store: s2, logger: false });
    await s2.close();
    const r = await a2.inject({ url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().error.code, 'NOT_READY');
    await a2.close();
    await s2.dispose();
  });

  test('the OpenAPI document is valid OpenAPI 3 and lists the routes', async () => {
    const res = await app.inject({ url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.ok(doc.paths['/healthz']);
    assert.ok(doc.paths['/probe/echo'].post.requestBody, 'request schema comes from the zod schema');
    const docs = await app.inject({ url: '/api/docs' });
    assert.equal(docs.statusCode, 200);
  });

  test('every response carries a request id; a well-formed incoming id is kept', async () => {
    const a = await app.inject({ url: '/healthz' });
    assert.match(String(a.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const b = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'gateway-abc-123' } });
    assert.equal(b.headers['x-request-id'], 'gateway-abc-123');
    const c = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces <script>' } });
    assert.notEqual(c.headers['x-request-id'], 'bad id with spaces <script>');
  });

  test('validation errors name the field, in Chinese and English', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: { businessNo: '', area: -1, holders: [{ idNumber: '1' }] },
    });
    assert.equal(res.statusCode, 400);
    const e = res.json().error;
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.equal(e.field, 'businessNo');
    assert.match(e.message, /业务号不能为空/);
    assert.match(e.messageEn, /business number is required/);
    assert.equal(e.requestId, res.headers['x-request-id']);
    const fields = e.problems.map((p: { field: string }) => p.field);
    assert.deepEqual(fields, ['businessNo', 'area', 'holders[0].idNumber']);
    for (const p of e.problems) {
      assert.match(p.message, /[\u4e00-\u9fff]/, 'Chinese message');
      assert.match(p.messageEn, /[A-Za-z]/, 'English message');
    }
  });

  test('malformed JSON, unknown routes, domain, API and internal errors all use the envelope', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'BAD_REQUEST');

    const nf = await app.inject({ url: '/no/such/route' });
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.json().error.code, 'NOT_FOUND');
    assert.equal(nf.json().error.message, '未找到请求的资源');

    const d = await app.inject({ url: '/probe/domain' });
    assert.equal(d.statusCode, 422);
    assert.deepEqual(
      { code: d.json().error.code, field: d.json().error.field },
      { code: 'ILLEGAL_TRANSITION', field: 'status' },
    );

    const f = await app.inject({ url: '/probe/forbidden' });
    assert.equal(f.statusCode, 403);
    assert.equal(f.json().error.code, 'FORBIDDEN');

    const c = await app.inject({ url: '/probe/crash' });
    assert.equal(c.statusCode, 500);
    assert.equal(c.json().error.code, 'INTERNAL');
    assert.doesNotMatch(c.body, /secret internal detail/, 'internal details never reach the client');
  });
});
