import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { auditRoutes } from '../../src/modules/audit/routes.js';
import { objectionRoutes } from '../../src/modules/objections/routes.js';
import { ObjectionService } from '../../src/modules/objections/service.js';
import { TEST_BACKEND } from '../support/store.js';
import { type IdentityFixture, identityFixture } from './fixture.js';

describe(`[${TEST_BACKEND}] OpenAPI for identity, objections and audit`, () => {
  let f: IdentityFixture;
  before(async () => {
    f = await identityFixture({
      plugins: (identity) => [
        objectionRoutes(
          new ObjectionService({
            db: identity.service.deps.db,
            fieldCrypto: identity.service.deps.fieldCrypto,
            certificates: { describe: async () => undefined },
            now: () => new Date(),
          }),
          identity.auth,
        ),
        auditRoutes(identity.service.deps.db, identity.auth, { describe: async () => undefined }),
      ],
    });
  });
  after(async () => f.close());

  test('every route is documented with schemas and Chinese summaries; the document is valid OpenAPI', async () => {
    const doc = (await f.app.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { summary?: string; requestBody?: unknown; responses?: Record<string, unknown> }>
      >;
    };
    const expected = {
      '/api/v1/auth/login': ['post'],
      '/api/v1/auth/totp': ['post'],
      '/api/v1/auth/totp/enrol': ['post'],
      '/api/v1/auth/step-up': ['post'],
      '/api/v1/auth/password': ['post'],
      '/api/v1/auth/logout': ['post'],
      '/api/v1/auth/me': ['get'],
      '/api/v1/auth/holder/sms': ['post'],
      '/api/v1/auth/holder/login': ['post'],
      '/api/v1/admin/users': ['get', 'post'],
      '/api/v1/admin/users/{id}': ['get', 'patch'],
      '/api/v1/admin/users/{id}/password-reset': ['post'],
      '/api/v1/admin/agreements': ['get', 'post'],
      '/api/v1/admin/agreements/{id}/revoke': ['post'],
      '/api/v1/admin/clients/{clientId}/revoke': ['post'],
      '/api/v1/admin/agreements/{id}/clients': ['post'],
      '/api/v1/objections': ['get', 'post'],
      '/api/v1/objections/{id}': ['get', 'patch'],
      '/api/v1/audit/usage': ['get'],
      '/api/v1/audit/certificates/{certificateId}': ['get'],
      '/api/v1/audit/chain': ['get'],
      '/api/v1/audit/entries': ['get'],
    };
    for (const [path, methods] of Object.entries(expected))
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        assert.ok(op, `${m} ${path} documented`);
        assert.match(op.summary ?? '', /[\u4e00-\u9fff]/, `${m} ${path} has a Chinese summary`);
        assert.ok(
          op.responses?.['200'] ?? op.responses?.['201'] ?? op.responses?.['204'],
          `${m} ${path} response schema`,
        );
      }
    const login = JSON.stringify(doc.paths['/api/v1/auth/holder/sms']);
    assert.match(login, /张三/);
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
  });
});
