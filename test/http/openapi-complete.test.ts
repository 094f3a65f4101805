import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { $ZodType, globalRegistry } from 'zod/v4/core';
import { loadConfig } from '../../src/config.js';
import { EX } from '../../src/http/openapi.js';
import { type App, buildServer } from '../../src/http/server.js';
import { SPA_PATHS } from '../../src/http/web.js';
import { DEMO_STEPS } from '../../src/modules/demo/seed.js';
import { createServices, routePlugins } from '../../src/modules/services.js';
import { MASTER_KEY } from '../support/app.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';

/**
 * Issue 7 must-show: "The OpenAPI document lists every endpoint with schemas and Chinese examples." The whole
 * application (the plugins `bdcert start` registers, src/app.ts → routePlugins) is built, its own route table is
 * recorded through Fastify's onRoute hook, and every operation in it is checked in the served document.
 */

/** Routes that are not API operations, and why they are not in the document. */
const NOT_API: readonly [RegExp, string][] = [
  [/^\/api\/docs(\/|$)/, 'Swagger UI pages and assets'],
  [/^\/api\/openapi\.json$/, 'the document itself'],
  [/^\/assets\//, 'hashed web bundles (static files)'],
  [/^\/v\/:token$/, 'the 查询二维码 URL opens the web verification page (HTML)'],
];
const isSpa = (url: string) => SPA_PATHS.includes(url);

/** /api/v1/auth/logout always succeeds (no session is nothing to end). */
const ALWAYS_SUCCEEDS = new Set(['POST /api/v1/auth/logout']);

/** Probes whose answers are fixed machine codes (no text to put in Chinese): only the Chinese summary is required. */
const PROBES = new Set(['GET /healthz', 'GET /readyz']);
/** /healthz answers while the process runs; it has no error case to document. */
const NO_ERROR_CASE = new Set(['GET /healthz', ...ALWAYS_SUCCEEDS]);

/**
 * Parts of operations (`<operation> request` or `<operation> <status>`) whose data is only codes, secrets, times and
 * identifiers: an example is required, but there is no text in it that could be Chinese. Each says why. An entry whose
 * part has a Chinese example, or that matches no part, fails the test, so the list cannot outlive its reason.
 */
const LATIN_ONLY = new Map<string, string>([
  ['POST /api/v1/auth/login request', 'a user name and a password'],
  ['POST /api/v1/auth/login 200', 'a session token, its expiry and the next step'],
  ['POST /api/v1/auth/totp request', 'a one-time code'],
  ['POST /api/v1/auth/totp 200', 'a session token, its expiry and the next step'],
  ['POST /api/v1/auth/totp/enrol 200', 'a TOTP secret and its otpauth URI'],
  ['POST /api/v1/auth/step-up request', 'a one-time code'],
  ['POST /api/v1/auth/step-up 200', 'the step-up expiry'],
  ['POST /api/v1/auth/password request', 'two passwords'],
  ['POST /api/v1/auth/holder/sms 200', 'a challenge UUID, its expiry and a masked phone number'],
  ['POST /api/v1/auth/holder/login request', 'a phone number and an SMS code'],
  ['POST /api/v1/auth/holder/login 200', 'a session token and its expiry'],
  ['POST /api/v1/admin/users/:id/password-reset 200', 'a generated password'],
  ['POST /api/v1/admin/agreements 201', 'the new agreement’s UUID'],
  ['POST /api/v1/admin/agreements/:id/clients 201', 'a client id and its secret'],
  ['POST /api/v1/seal-batches request', 'certificate UUIDs'],
  ['POST /api/v1/imports/stock 202', 'the import job’s UUID'],
  ['POST /api/v1/sync/push-now 202', 'a flag'],
  ['POST /api/v1/sync/enrolment-tokens 201', 'a token and its expiry'],
  ['POST /api/v1/sync/join request', 'the province’s URL and an enrolment token'],
  ['POST /api/v1/sync/reconcile request', 'per-day certificate counts and SM3 digests, signed'],
  ['POST /api/v1/sync/reconcile 200', 'the province’s counts, digests and identifiers, signed'],
  ['POST /api/v1/sync/reconcile/run request', 'dates and a flag'],
  ['POST /api/v1/sync/agency-systems 201', 'node ids and an SM2 public key'],
  ['PATCH /api/v1/agencies/:agencyId/sealing request', 'a mode code and clock times'],
  ['POST /api/v1/agencies/:agencyId/credentials request', 'a purpose code, a key reference and a PEM certificate'],
  ['POST /api/v1/credentials/:credentialId/certificate request', 'a PEM certificate'],
  ['POST /api/v1/certificates/:id/correct 200', 'UUIDs, the new identifier and a path code'],
  ['PATCH /api/v1/agencies/:agencyId/sealing 200', 'the agency UUID, a mode code and clock times'],
]);

const CJK = /[\u4e00-\u9fff]/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Operation {
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Media {
  schema?: Record<string, Json>;
  example?: Json;
  examples?: Record<string, { value: Json }>;
}

/** Every example value in a media object: the media's own and those of the schema at any depth. */
function examplesIn(m: Media): Json[] {
  const out: Json[] = [];
  if (m.example !== undefined) out.push(m.example);
  for (const e of Object.values(m.examples ?? {})) out.push(e.value);
  const walk = (v: Json | undefined) => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k === 'example') out.push(x);
      else if (k === 'examples' && Array.isArray(x)) out.push(...x);
      else walk(x);
    }
  };
  walk(m.schema as Json | undefined);
  return out;
}
const isBinary = (m: Media) => m.schema?.type === 'string' && m.schema.format === 'binary';
/** What is wrong with the examples of one part (`request` or a status); `used` collects the LATIN_ONLY keys met. */
const exampleProblem = (key: string, part: string, m: Media, used?: Set<string>): string | undefined => {
  const ex = examplesIn(m);
  if (ex.length === 0) return 'no example';
  const chinese = ex.some((e) => CJK.test(JSON.stringify(e)));
  const exempt = LATIN_ONLY.has(`${key} ${part}`);
  if (exempt) used?.add(`${key} ${part}`);
  if (exempt && chinese) return 'has a Chinese example: remove it from LATIN_ONLY';
  if (!exempt && !chinese) return 'no Chinese example';
  return undefined;
};
const isEnvelope = (m: Media | undefined) => {
  const error = (m?.schema?.properties as Record<string, Record<string, Json>> | undefined)?.error;
  const props = error?.properties as Record<string, Json> | undefined;
  return !!props && ['code', 'message', 'messageEn', 'requestId'].every((k) => k in props);
};

/** The problems of one operation; empty when it is fully documented. */
export function operationProblems(key: string, op: Operation, route: RouteOptions, used?: Set<string>): string[] {
  const p: string[] = [];
  if (!CJK.test(op.summary ?? '')) p.push('no Chinese summary');
  if (!/[A-Za-z]{3}/.test(`${op.summary ?? ''} ${op.description ?? ''}`)) p.push('no English in summary/description');
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const path = route.url.match(/:\w+/g) ?? [];
  const params = new Set((op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name));
  for (const name of path) if (!params.has(name.slice(1))) p.push(`path parameter ${name} undocumented`);
  if (!schema.querystring && /[?]/.test(route.url)) p.push('query undocumented');
  const takesBody = route.method !== 'GET' && route.method !== 'DELETE';
  const hasInput = path.length > 0 || !!schema.querystring || !!schema.body;
  if (takesBody && schema.body) {
    const content = Object.values(op.requestBody?.content ?? {});
    if (content.length === 0) p.push('request body without content');
    for (const m of content) {
      const e = isBinary(m) ? undefined : exampleProblem(key, 'request', m, used);
      if (e) p.push(`request body: ${e}`);
    }
  }
  const responses = op.responses ?? {};
  const ok = Object.entries(responses).filter(([code]) => /^2\d\d$/.test(code));
  if (ok.length === 0) p.push('no 2xx response');
  for (const [code, r] of ok) {
    if (code === '204') continue; // no body by definition
    const media = Object.entries(r.content ?? {});
    if (media.length === 0) p.push(`${code}: no schema or content type`);
    for (const [type, m] of media) {
      if (isBinary(m)) continue; // a file: its media type and the binary schema say it all
      if (!m.schema) p.push(`${code} ${type}: no schema`);
      else {
        const e = PROBES.has(key) ? undefined : exampleProblem(key, code, m, used);
        if (e) p.push(`${code} ${type}: ${e}`);
      }
    }
  }
  const failures = Object.entries(responses).filter(([code]) => /^[45]\d\d$/.test(code));
  if (failures.length === 0 && !NO_ERROR_CASE.has(key)) p.push('no error response');
  if (hasInput && !responses['400']) p.push('takes input but documents no 400');
  for (const [code, r] of failures)
    if (!isEnvelope(r.content?.['application/json'])) p.push(`${code}: not the error envelope`);
  return p;
}

/** Where an example sits: a request part (parsed as the app parses requests) or a response status (encoded as sent). */
type Part = { httpPart: 'body' | 'querystring' | 'params' | 'headers' } | { httpStatus: string };

/** Every example set with `.meta({ example })` (or `examples`) on a zod schema or any schema inside it. */
function zodExamples(root: $ZodType): { schema: $ZodType; example: unknown }[] {
  const out: { schema: $ZodType; example: unknown }[] = [];
  const seen = new Set<$ZodType>();
  const visit = (s: unknown) => {
    if (!(s instanceof $ZodType) || seen.has(s)) return;
    seen.add(s);
    const meta = globalRegistry.get(s) as { example?: unknown; examples?: unknown } | undefined;
    if (meta?.example !== undefined) out.push({ schema: s, example: meta.example });
    const many = meta?.examples;
    if (Array.isArray(many)) for (const e of many) out.push({ schema: s, example: e });
    else if (many && typeof many === 'object')
      for (const e of Object.values(many as Record<string, { value?: unknown }>))
        out.push({ schema: s, example: e.value });
    // The sub-schemas of each zod kind live under these def keys (zod v4 core); anything else has none.
    const def = s._zod.def as unknown as Record<string, unknown>;
    for (const k of ['innerType', 'element', 'in', 'out', 'left', 'right', 'keyType', 'valueType', 'rest'])
      visit(def[k]);
    for (const k of ['options', 'items']) for (const x of (def[k] as unknown[] | undefined) ?? []) visit(x);
    if (def.shape) for (const x of Object.values(def.shape as Record<string, unknown>)) visit(x);
    if (def.type === 'lazy') visit((def.getter as () => unknown)());
  };
  visit(root);
  return out;
}

/**
 * Checks each example with the app's own compilers (src/http/server.ts sets them): a request example must pass the
 * validator of its part, a response example must pass the serializer of its status. Returns the failures, and adds
 * each example that passed to `valid` (as JSON) so the document's examples can be matched to checked ones.
 */
export function exampleFailures(route: RouteOptions, valid: Set<string>): string[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const method = String(route.method);
  const targets: [Part, unknown][] = [];
  for (const httpPart of ['body', 'querystring', 'params', 'headers'] as const)
    if (schema[httpPart]) targets.push([{ httpPart }, schema[httpPart]]);
  for (const [httpStatus, r] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    const content = (r as { content?: Record<string, { schema?: unknown }> }).content;
    if (content) for (const m of Object.values(content)) targets.push([{ httpStatus }, m.schema]);
    else targets.push([{ httpStatus }, r]);
  }
  const failures: string[] = [];
  for (const [part, root] of targets) {
    if (!(root instanceof $ZodType)) continue;
    const where = 'httpPart' in part ? part.httpPart : part.httpStatus;
    for (const { schema: s, example } of zodExamples(root)) {
      let error: string | undefined;
      if ('httpPart' in part) {
        const r = validatorCompiler({ schema: s, method, url: route.url, httpPart: part.httpPart })(example);
        // The zod compiler answers synchronously with { value } or { error: issues }; anything else is a failure too.
        const issues =
          typeof r === 'object' && 'error' in r && Array.isArray(r.error)
            ? (r.error as { instancePath: string; message: string }[])
            : typeof r === 'object' && 'value' in r
              ? []
              : [{ instancePath: '', message: 'no synchronous result' }];
        if (issues.length) error = issues.map((i) => `${i.instancePath} ${i.message}`).join('; ');
      } else {
        try {
          serializerCompiler({ schema: s, method, url: route.url, httpStatus: part.httpStatus })(example);
        } catch (e) {
          const issues = ((e as Error).cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)
            ?.issues;
          error = issues?.map((i) => `/${i.path.join('/')} ${i.message}`).join('; ') ?? String(e);
        }
      }
      if (error) failures.push(`${method} ${route.url} ${where}: ${JSON.stringify(example).slice(0, 80)} — ${error}`);
      else valid.add(JSON.stringify(example));
    }
  }
  return failures;
}

describe(`[${TEST_BACKEND}] OpenAPI document of the whole application`, () => {
  let store: TestStore;
  let app: App;
  let dataDir: string;
  const routes: RouteOptions[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bdcert-openapi-'));
    store = await openTestStore();
    const config = loadConfig({ DATA_DIR: dataDir, BASE_URL: 'https://bdc.example.gov.cn', BDCERT_MODE: 'demo' });
    const services = await createServices(config, store, { env: { BDCERT_MASTER_KEY: MASTER_KEY } });
    await DEMO_STEPS[0]!.run({ config, store, notes: [] });
    app = await buildServer({
      config,
      store,
      plugins: routePlugins(services),
      logger: false,
      onRoute: (r) => routes.push(r),
    });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await store?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the route table was recorded (the check below walks it, not a hand list)', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const u of ['/api/v1/register/entries', '/api/v1/verify/:token', '/api/v1/auth/login', '/healthz'])
      assert.ok(urls.has(u), u);
    assert.ok(routes.length > 60, `${routes.length} routes`);
  });

  test('the document is valid OpenAPI 3 and every API route of the app is an operation in it', async () => {
    const res = await app.inject({ url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { paths: Record<string, Record<string, Operation>> };
    const valid = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    assert.equal(valid.valid, true, JSON.stringify(valid.errors, null, 1));

    const missing: string[] = [];
    const problems: string[] = [];
    const used = new Set<string>();
    let checked = 0;
    for (const route of routes) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
      if (NOT_API.some(([re]) => re.test(route.url)) || isSpa(route.url)) continue;
      for (const method of methods) {
        const key = `${method} ${route.url}`;
        const docPath = route.url.replace(/:(\w+)/g, '{$1}');
        const op = doc.paths[docPath]?.[method.toLowerCase()];
        if (!op) {
          missing.push(key);
          continue;
        }
        checked++;
        const p = operationProblems(key, op, { ...route, method }, used);
        if (p.length) problems.push(`${key}: ${p.join('; ')}`);
      }
    }
    assert.deepEqual(missing, [], `routes missing from the document:\n${missing.join('\n')}`);
    assert.deepEqual(problems, [], `operations not fully documented (${problems.length}):\n${problems.join('\n')}`);
    const stale = [...LATIN_ONLY.keys()].filter((k) => !used.has(k));
    assert.deepEqual(stale, [], `LATIN_ONLY entries that match no part of any operation:\n${stale.join('\n')}`);
    assert.ok(checked > 60, `${checked} operations checked`);
  });

  test('every example is valid against its own schema (the app validates requests and serialises answers with it)', async () => {
    const valid = new Set<string>();
    const failures: string[] = [];
    let routesWithExamples = 0;
    for (const route of routes) {
      for (const method of (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD')) {
        const before = valid.size;
        failures.push(...exampleFailures({ ...route, method }, valid));
        if (valid.size > before) routesWithExamples++;
      }
    }
    assert.deepEqual(failures, [], `examples their schema rejects (${failures.length}):\n${failures.join('\n')}`);
    assert.ok(routesWithExamples > 60, `${routesWithExamples} operations with checked examples`);

    // The document's examples come from those schemas: each one shown to readers is one checked above.
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const unchecked: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const media = [
          ...Object.values(op.requestBody?.content ?? {}),
          ...Object.values(op.responses ?? {}).flatMap((r) => Object.values(r.content ?? {})),
        ];
        for (const m of media)
          for (const e of examplesIn(m))
            if (!valid.has(JSON.stringify(e))) unchecked.push(`${method} ${path}: ${JSON.stringify(e).slice(0, 80)}`);
      }
    assert.deepEqual(unchecked, [], `examples in the document not checked against a schema:\n${unchecked.join('\n')}`);
  });

  test('the check itself: an example its schema rejects is reported with the route and the part', () => {
    const Body = z.object({ certificateNo: z.string().max(10) }).meta({ example: { certificateNo: EX.certificateNo } });
    const Answer = z.object({ status: z.enum(['有效', '已注销']) }).meta({ example: { status: '作废' } });
    const route = {
      method: 'POST',
      url: '/api/v1/x',
      schema: { body: Body, response: { 200: Answer } },
      handler: () => {},
    } as RouteOptions;
    const failures = exampleFailures(route, new Set());
    assert.equal(failures.length, 2, failures.join('\n'));
    assert.match(failures[0]!, /^POST \/api\/v1\/x body: /);
    assert.match(failures[1]!, /^POST \/api\/v1\/x 200: /);
    const fine = z.object({ certificateNo: z.string() }).meta({ example: { certificateNo: EX.certificateNo } });
    assert.deepEqual(exampleFailures({ ...route, schema: { body: fine } }, new Set()), []);
  });

  test('the check itself: an undocumented operation is reported by name', () => {
    const route = { method: 'POST', url: '/api/v1/x/:id', schema: { body: {} }, handler: () => {} } as RouteOptions;
    const p = operationProblems('POST /api/v1/x/:id', { summary: 'only English', responses: {} }, route);
    for (const want of ['no Chinese summary', 'path parameter :id', 'request body without content', 'no 2xx', '400'])
      assert.ok(
        p.some((x) => x.includes(want)),
        `${want} in ${p.join('; ')}`,
      );
  });
});
