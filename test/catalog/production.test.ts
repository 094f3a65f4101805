import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { generateSync } from 'otplib';
import { loadConfig } from '../../src/config.js';
import { makeSeal } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { parseCertificate } from '../../src/crypto/x509.js';
import { renderCertificate } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { verifyOfd } from '../../src/documents/verify.js';
import type { StaffRole } from '../../src/domain/access.js';
import { type App, buildServer } from '../../src/http/server.js';
import { activeSeal } from '../../src/modules/catalog/service.js';
import { createServices, routePlugins, type Services } from '../../src/modules/services.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { insertAgency } from '../identity/fixture.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';
import { type OpenSslCa, openSslCa } from './openssl-ca.js';

const SEAL_NAME = '潢川县自然资源局不动产登记专用章';

/**
 * The whole application in production mode (no development CA, no simulators for seals): issue 4 "production mode
 * cannot seal" fixed end to end over HTTP — the province admin fills the trust store, the agency admin requests its
 * signer certificate (CSR), imports what the CA issued and the seal the provincial platform made; the public upload
 * check trusts exactly the trust store.
 */
describe(`production sealing over HTTP [${TEST_BACKEND}]`, () => {
  let store: TestStore;
  let services: Services;
  let app: App;
  let ca: OpenSslCa;
  let dataDir: string;
  let agencyA: string;
  let agencyB: string;
  let uploaded: Uint8Array;
  const clock = { now: new Date(Date.now() + 10 * 60_000) }; // ahead of the OpenSSL certificates' notBefore
  const tokens: Record<string, string> = {};

  async function staff(agencyId: string, username: string, roles: StaffRole[]): Promise<string> {
    // Production requires TOTP for staff: enrol through the service, then sign in over HTTP with both factors.
    const password = `Pw-${[...username].reverse().join('')}-2026-long!x`;
    const id = services.identity.service;
    await id.createStaffUser(
      { agencyId, username, displayName: username, roles, password },
      { kind: 'system', id: 't' },
    );
    const half = await id.loginStaff({ username, password }, {});
    const p = (await id.principalForToken(half.token))!;
    const { secret } = await id.beginTotpEnrolment(p, {});
    const code = (offset: number) => generateSync({ secret, epoch: Math.floor(clock.now.getTime() / 1000) + offset });
    await id.verifyStaffTotp(p, code(0), {});
    const l = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    const t = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: { authorization: `Bearer ${l.json().token}` },
      payload: { code: code(30) },
    });
    assert.equal(t.statusCode, 200, t.body);
    return t.json().token as string;
  }
  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      ...(who ? { headers: { authorization: `Bearer ${tokens[who]}` } } : {}),
      ...(payload ? { payload } : {}),
    });

  before(async () => {
    ca = openSslCa('省级CA（测试）');
    dataDir = mkdtempSync(join(tmpdir(), 'bdcert-prod-'));
    store = await openTestStore();
    const config = loadConfig({ DATA_DIR: dataDir, BASE_URL: 'https://bdc.example.gov.cn', BDCERT_MODE: 'production' });
    services = await createServices(config, store, {
      env: { BDCERT_MASTER_KEY: '3c'.repeat(32) },
      now: () => clock.now,
    });
    app = await buildServer({ config, store, plugins: routePlugins(services), logger: false });
    await app.ready();
    agencyA = await insertAgency(store, '潢川县自然资源局', '11411526MB1A00028N', '411526');
    agencyB = await insertAgency(store, '光山县自然资源局', '11411522MB1A0003XQ', '411522');
    await sql`update agencies set seal_name = ${SEAL_NAME} where id = ${agencyA}`.execute(store.db);
    tokens.province = await staff(agencyA, 'prov-admin', ['province-admin']);
    tokens.adminA = await staff(agencyA, 'admin-a', ['agency-admin']);
    tokens.adminB = await staff(agencyB, 'admin-b', ['agency-admin']);
    // A file sealed entirely outside bdcert (signer and maker certificates from the same CA), to upload.
    const signer = ca.keyAndCert('/C=CN/CN=潢川县自然资源局');
    const maker = ca.keyAndCert('/C=CN/CN=省级电子印章平台');
    const signerCert = parseCertificate(signer.certPem).der;
    const picturePng = sealPng('潢川县自然资源局', 200);
    const sealDer = await makeSeal({
      esId: '4115260000041',
      name: SEAL_NAME,
      validFrom: clock.now,
      validTo: new Date(clock.now.getTime() + 100 * 86400_000),
      signerCertsDer: [signerCert],
      picture: { type: 'PNG', data: picturePng, widthMm: 42, heightMm: 42 },
      maker: { certDer: parseCertificate(maker.certPem).der, signer: Sm2PrivateKey.fromPem(maker.keyPem).asSigner() },
    });
    uploaded = (
      await renderCertificate({
        face: P,
        seal: {
          sealDer,
          signerCertDer: signerCert,
          signer: Sm2PrivateKey.fromPem(signer.keyPem).asSigner(),
          picturePng,
        },
        time: clock.now,
        docId: 'U',
        meta: {},
      })
    ).ofd;
  });
  after(async () => {
    await app.close();
    await store.dispose();
    ca.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/verify/file',
      headers: { 'content-type': 'application/ofd' },
      payload: Buffer.from(uploaded),
    });
    assert.equal(r.statusCode, 200, r.body);
    return r.json() as { valid: boolean; checks: { id: string; status: string; reason?: string }[] };
  };

  test('with an empty trust store the public upload check cannot confirm the seal (trust skipped, not valid)', async () => {
    assert.deepEqual(services.sealCrypto.trustedRoots(), []);
    const v = await upload();
    assert.equal(v.valid, false);
    const trust = v.checks.find((c) => c.id === 'trust')!;
    assert.equal(trust.status, 'skipped');
    assert.match(trust.reason ?? '', /无法确认印章可信/);
  });

  test('the province admin imports the CA into the trust store; agency admins may read but not change it', async () => {
    const denied = await call('adminA', 'POST', '/api/v1/trust/certificates', { pem: ca.rootPem });
    assert.equal(denied.statusCode, 403);
    const both = await call('province', 'POST', '/api/v1/trust/certificates', {
      pem: ca.rootPem + ca.intermediatePem,
      note: '省级CA',
    });
    assert.equal(both.statusCode, 201, both.body);
    assert.deepEqual(
      (both.json().items as { kind: string; outcome: string }[]).map((i) => `${i.kind}:${i.outcome}`),
      ['root:added', 'intermediate:added'],
    );
    const leafAsCa = await call('province', 'POST', '/api/v1/trust/certificates', {
      pem: ca.keyAndCert('/CN=leaf').certPem,
    });
    assert.equal(leafAsCa.statusCode, 422);
    assert.equal(leafAsCa.json().error.code, 'TRUST_NOT_CA');
    assert.match(leafAsCa.json().error.messageEn, /not a CA certificate/);
    const list = await call('adminA', 'GET', '/api/v1/trust/certificates');
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().items.length, 2);
    assert.match(list.json().items[0].fingerprint, /^[0-9a-f]{64}$/);
    // The upload check now follows both chains to the trust store (the file is not in this register, so the record
    // check still fails — but the trust check passes).
    const v = await upload();
    assert.equal(v.checks.find((c) => c.id === 'trust')?.status, 'passed');
    assert.equal(v.checks.find((c) => c.id === 'ses.signer-chain')?.status, 'passed');
  });

  test('the agency admin requests a signer certificate, imports it and the platform’s seal; sealing works', async () => {
    const req = await call('adminA', 'POST', `/api/v1/agencies/${agencyA}/credentials/requests`, { purpose: 'signer' });
    assert.equal(req.statusCode, 201, req.body);
    const cred = req.json() as { id: string; status: string; csrPem: string; keyRef: string };
    assert.equal(cred.status, 'awaiting-certificate');
    assert.match(cred.csrPem, /^-----BEGIN CERTIFICATE REQUEST-----/);
    const certPem = ca.issue(cred.csrPem);
    const other = await call('adminB', 'POST', `/api/v1/credentials/${cred.id}/certificate`, { pem: certPem });
    assert.equal(other.statusCode, 404, 'another agency’s credential looks missing');
    const both = await call('adminA', 'POST', `/api/v1/credentials/${cred.id}/certificate`, {
      pem: certPem,
      derBase64: 'AA==',
    });
    assert.equal(both.statusCode, 400);
    const ok = await call('adminA', 'POST', `/api/v1/credentials/${cred.id}/certificate`, { pem: certPem });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().status, 'active');
    assert.equal(ok.json().csrPem, null);

    // No seal maker here: making a seal locally is refused, naming what to import.
    const local = await call('adminA', 'POST', `/api/v1/agencies/${agencyA}/seals`, {
      esId: '4115260000042',
      name: SEAL_NAME,
      validTo: new Date(clock.now.getTime() + 100 * 86400_000).toISOString(),
    });
    assert.equal(local.statusCode, 422);
    assert.equal(local.json().error.code, 'NO_SEAL_MAKER');
    assert.match(local.json().error.message, /省级电子印章平台/);
    assert.ok(local.json().error.requestId);

    // The provincial platform makes the seal for the certificate the agency sent it.
    const platform = ca.keyAndCert('/C=CN/CN=省级电子印章平台');
    const sealDer = await makeSeal({
      esId: '4115260000042',
      name: SEAL_NAME,
      validFrom: clock.now,
      validTo: new Date(clock.now.getTime() + 100 * 86400_000),
      signerCertsDer: [parseCertificate(certPem).der],
      picture: { type: 'PNG', data: sealPng('潢川县自然资源局', 200), widthMm: 42, heightMm: 42 },
      maker: {
        certDer: parseCertificate(platform.certPem).der,
        signer: Sm2PrivateKey.fromPem(platform.keyPem).asSigner(),
      },
    });
    const wrongCode = await call('adminA', 'POST', `/api/v1/agencies/${agencyA}/seals/import`, {
      sealBase64: Buffer.from(sealDer).toString('base64'),
      esId: '4115260000043',
    });
    assert.equal(wrongCode.statusCode, 422);
    assert.equal(wrongCode.json().error.code, 'SEAL_CODE_MISMATCH');
    assert.equal(wrongCode.json().error.field, 'esId');
    const imported = await call('adminA', 'POST', `/api/v1/agencies/${agencyA}/seals/import`, {
      sealBase64: Buffer.from(sealDer).toString('base64'),
      esId: '4115260000042',
      filingNo: 'GA-41-2026-000042',
    });
    assert.equal(imported.statusCode, 201, imported.body);
    assert.equal(imported.json().seal.status, 'active');
    assert.equal(imported.json().seal.filingNo, 'GA-41-2026-000042');
    const creds = await call('adminA', 'GET', `/api/v1/agencies/${agencyA}/credentials`);
    assert.deepEqual(
      (creds.json().items as { id: string; status: string }[]).map((c) => [c.id, c.status]),
      [[cred.id, 'active']],
    );

    const seal = await activeSeal(services.catalog, agencyA, clock.now);
    const ofd = (
      await renderCertificate({
        face: P,
        seal: {
          sealDer: seal.sealDer,
          signerCertDer: seal.signerCertDer,
          signer: seal.signer,
          picturePng: seal.picturePng,
        },
        time: clock.now,
        docId: 'S',
        meta: {},
      })
    ).ofd;
    const v = await verifyOfd(ofd, { trustedRoots: services.sealCrypto.trustedRoots() });
    assert.equal(v.verdict, 'valid', JSON.stringify(v.checks.filter((c) => c.status !== 'passed')));
  });
});
