import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sm2 } from 'sm-crypto-v2';
import { requireInstitution } from '../../src/http/auth.js';
import { SIGNED_REQUEST_SCHEME, signedRequestString } from '../../src/modules/identity/service.js';
import { TEST_BACKEND } from '../support/store.js';
import { bearer, type IdentityFixture, identityFixture } from './fixture.js';

const sm3 = (s: string) => createHash('sm3').update(s, 'utf8').digest('hex');

describe(`[${TEST_BACKEND}] SM2-signed institution requests`, () => {
  let f: IdentityFixture;
  const keys = sm2.generateKeyPairHex();
  let clientId = '';
  before(async () => {
    f = await identityFixture({
      plugins: (identity) => [
        (app) => {
          identity.auth(app);
          app.get('/probe/signed', { preHandler: requireInstitution('download') }, async (req) => ({
            clientId: req.principal?.kind === 'institution' ? req.principal.clientId : null,
          }));
          app.post('/probe/signed', { preHandler: requireInstitution('download') }, async (req) => ({
            echo: req.body,
          }));
        },
      ],
    });
    const province = await f.login(await f.addUser(f.agencyA, 'prov-sig', ['province-admin']));
    const a = await f.app.inject({
      method: 'POST',
      url: '/api/v1/admin/agreements',
      headers: bearer(province),
      payload: {
        agreementNo: 'HCGX-SIG-1',
        institutionName: '中国建设银行潢川支行',
        institutionUscc: '91411526MA44ABCD2Y',
        certificateTypes: ['T1'],
        interfaces: ['download'],
        regionCodes: ['4115'],
        validFrom: '2026-01-01T00:00:00.000Z',
        validUntil: '2027-12-31T00:00:00.000Z',
      },
    });
    const c = await f.app.inject({
      method: 'POST',
      url: `/api/v1/admin/agreements/${a.json().id}/clients`,
      headers: bearer(province),
      payload: { name: '建行信贷', publicKeyHex: keys.publicKey },
    });
    assert.equal(c.statusCode, 201, c.body);
    clientId = c.json().clientId;
  });
  after(async () => f.close());

  function sign(
    method: string,
    url: string,
    body: string,
    o: { timestamp?: string; nonce?: string; key?: string } = {},
  ) {
    const r = {
      clientId,
      method,
      url,
      timestamp: o.timestamp ?? f.clock.now.toISOString(),
      nonce: o.nonce ?? randomBytes(12).toString('hex'),
      bodySm3: sm3(body),
    };
    const signature = sm2.doSignature(signedRequestString(r), o.key ?? keys.privateKey, {
      der: true,
      hash: true,
      publicKey: keys.publicKey,
    });
    return {
      authorization: `${SIGNED_REQUEST_SCHEME} client="${clientId}", timestamp="${r.timestamp}", nonce="${r.nonce}", signature="${signature}"`,
    };
  }

  test('happy: a signed GET and a signed POST with a body are accepted', async () => {
    const g = await f.app.inject({
      method: 'GET',
      url: '/probe/signed?x=1',
      headers: sign('GET', '/probe/signed?x=1', ''),
    });
    assert.equal(g.statusCode, 200, g.body);
    assert.equal(g.json().clientId, clientId);
    const body = JSON.stringify({ 用证事由: '抵押贷款审批', caseNo: 'DK-1' });
    const p = await f.app.inject({
      method: 'POST',
      url: '/probe/signed',
      headers: { ...sign('POST', '/probe/signed', body), 'content-type': 'application/json' },
      payload: body,
    });
    assert.equal(p.statusCode, 200, p.body);
    assert.equal(p.json().echo.caseNo, 'DK-1');
  });

  test('security: changed body, changed query, other key, stale time and replayed nonce are refused and audited', async () => {
    const body = JSON.stringify({ caseNo: 'DK-2' });
    const cases = [
      {
        url: '/probe/signed',
        method: 'POST' as const,
        headers: sign('POST', '/probe/signed', body),
        payload: JSON.stringify({ caseNo: 'DK-3' }),
      },
      { url: '/probe/signed?x=2', method: 'GET' as const, headers: sign('GET', '/probe/signed?x=1', '') },
      {
        url: '/probe/signed',
        method: 'GET' as const,
        headers: sign('GET', '/probe/signed', '', { key: sm2.generateKeyPairHex().privateKey }),
      },
      {
        url: '/probe/signed',
        method: 'GET' as const,
        headers: sign('GET', '/probe/signed', '', {
          timestamp: new Date(f.clock.now.getTime() - 10 * 60_000).toISOString(),
        }),
      },
    ];
    for (const c of cases) {
      const r = await f.app.inject({ ...c, headers: { ...c.headers, 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 401, `${c.method} ${c.url}: ${r.body}`);
    }
    const once = sign('GET', '/probe/signed', '', { nonce: 'nonce-used-once-0001' });
    assert.equal((await f.app.inject({ method: 'GET', url: '/probe/signed', headers: once })).statusCode, 200);
    assert.equal((await f.app.inject({ method: 'GET', url: '/probe/signed', headers: once })).statusCode, 401);
    const reasons = await f.store.db
      .selectFrom('audit.entries')
      .select('reason')
      .where('action', '=', 'auth.client')
      .where('client_id', '=', clientId)
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      reasons.map((r) => r.reason),
      ['BAD_SIGNATURE', 'BAD_SIGNATURE', 'BAD_SIGNATURE', 'STALE_REQUEST', 'REPLAYED_REQUEST'],
    );
  });

  test('error: a malformed public key is refused at registration', async () => {
    const ok = sm2.verifyPublicKey(keys.publicKey);
    assert.equal(ok, true);
    const bad = await f.identity.service
      .createApiClient(
        { agreementId: null, name: 'x', publicKeyHex: `04${'1'.repeat(128)}` },
        { kind: 'system', id: 't' },
      )
      .then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    assert.match(bad, /SM2 公钥格式错误/);
  });
});
