import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { PNG } from 'pngjs';
import { loadConfig } from '../../src/config.js';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { parseSESeal, signSES, verifySES } from '../../src/crypto/ses.js';
import { sm3 } from '../../src/crypto/sm3.js';
import { catalogRoutes } from '../../src/modules/catalog/routes.js';
import { createSealCrypto } from '../../src/modules/catalog/seal-crypto.js';
import {
  activeSeal,
  type CatalogDeps,
  changeSealStatus,
  createSeal,
  renewSeal,
  replaceSeal,
} from '../../src/modules/catalog/service.js';
import { TrustStore } from '../../src/modules/catalog/trust-store.js';
import { SimulatedSealRegistry } from '../../src/modules/integrations/seal-registry/simulator.js';
import { createFieldCrypto } from '../../src/modules/privacy/field-crypto.js';
import { FsBlobStore } from '../../src/store/blobs.js';
import { type IdentityFixture, identityFixture, type TestUser } from '../identity/fixture.js';
import { TEST_BACKEND } from '../support/store.js';

const SEAL_NAME = '潢川县自然资源局不动产登记专用章';

describe(`seal registry [${TEST_BACKEND}]`, () => {
  let fx: IdentityFixture;
  let deps: CatalogDeps;
  let registry: SimulatedSealRegistry;
  let dir: string;
  let adminA: TestUser;
  let adminB: TestUser;
  let clerkA: TestUser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-seals-'));
    let catalogDeps: CatalogDeps | undefined;
    // The routes are registered when the server is built; they reach the deps made below through getters.
    const lazy: CatalogDeps = {
      get ctx() {
        return catalogDeps!.ctx;
      },
      get sealCrypto() {
        return catalogDeps!.sealCrypto;
      },
      get sealRegistry() {
        return catalogDeps!.sealRegistry;
      },
      get trust() {
        return catalogDeps!.trust;
      },
      get keys() {
        return catalogDeps!.keys;
      },
    };
    fx = await identityFixture({ plugins: (identity) => [catalogRoutes(lazy, identity.auth)] });
    const keys = new LocalKeyStore(join(dir, 'keys'), Buffer.alloc(32, 5));
    const ca = await DevCa.create(keys, fx.clock.now);
    registry = new SimulatedSealRegistry(() => fx.clock.now);
    // Demo wiring as services.ts does it: the development root sits in the trust store, the one verification path.
    const trust = await TrustStore.open(fx.store.db, () => fx.clock.now);
    await trust.importCertificates(ca.ca.rootCertDer, { actor: { kind: 'system', id: 't' }, origin: 'dev-ca' });
    catalogDeps = deps = {
      ctx: {
        config: loadConfig({}),
        store: fx.store,
        blobs: new FsBlobStore(join(dir, 'blobs')),
        fieldCrypto: createFieldCrypto(Buffer.alloc(32, 9)),
        now: () => fx.clock.now,
        log: { info() {}, warn() {}, error() {}, debug() {} },
      },
      sealCrypto: createSealCrypto({ db: fx.store.db, keys, trust, devCa: ca.ca, now: () => fx.clock.now }),
      sealRegistry: registry,
      trust,
      keys,
    };
    await sql`update agencies set seal_name = ${SEAL_NAME} where id = ${fx.agencyA}`.execute(fx.store.db);
    adminA = await fx.addUser(fx.agencyA, 'admin-a', ['agency-admin']);
    adminB = await fx.addUser(fx.agencyB, 'admin-b', ['agency-admin']);
    clerkA = await fx.addUser(fx.agencyA, 'clerk-a', ['sealing-clerk']);
  });
  after(async () => {
    await fx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const in3y = () => new Date(fx.clock.now.getTime() + 3 * 365 * 86400_000);

  test('a seal is made with the agency’s registered name, filed, and signs verifiably', async () => {
    const seal = await createSeal(deps, {
      agencyId: fx.agencyA,
      esId: '4115260000009',
      name: SEAL_NAME,
      validFrom: fx.clock.now,
      validTo: in3y(),
      actor: { kind: 'system', id: 't' },
    });
    assert.equal(seal.status, 'active');
    assert.match(seal.filing_no ?? '', /^SIM-[0-9A-F]{16}$/, 'filed with the (simulated) national registry');
    assert.ok(registry.filings.has('4115260000009'));
    const parsed = parseSESeal(seal.seal_der);
    assert.equal(parsed.name, SEAL_NAME);
    assert.equal(parsed.esId, '4115260000009');
    const active = await activeSeal(deps, fx.agencyA, fx.clock.now);
    const data = sm3('Signature.xml bytes');
    const sig = await signSES({
      sealDer: active.sealDer,
      signerCertDer: active.signerCertDer,
      signer: active.signer,
      dataHash: data,
      propertyInfo: 'p',
      time: fx.clock.now,
    });
    assert.equal(verifySES(sig, { dataHash: data, trustedRoots: deps.sealCrypto.trustedRoots() }).ok, true);
    const events = await fx.store.db
      .selectFrom('outbox')
      .select('event_type')
      .where('aggregate_id', '=', seal.id)
      .execute();
    assert.deepEqual(events.map((e) => e.event_type).sort(), ['seal.created', 'seal.filed']);
    const audited = await fx.store.db
      .selectFrom('audit.entries')
      .select('action')
      .where('object_id', '=', seal.id)
      .execute();
    assert.deepEqual(audited.map((a) => a.action).sort(), ['seal.create', 'seal.file']);
  });

  test('a name other than the registered one is refused with the field named', async () => {
    await assert.rejects(
      createSeal(deps, {
        agencyId: fx.agencyA,
        esId: '4115260000010',
        name: '潢川县不动产登记专用章',
        validFrom: fx.clock.now,
        validTo: in3y(),
        actor: { kind: 'system', id: 't' },
      }),
      (e: Error & { code?: string; field?: string }) => e.code === 'SEAL_NAME_MISMATCH' && e.field === 'name',
    );
  });

  test('renewal: the old seal stops sealing but what it sealed still verifies', async () => {
    const old = await activeSeal(deps, fx.agencyA, fx.clock.now);
    const data = sm3('old document');
    const oldSig = await signSES({
      sealDer: old.sealDer,
      signerCertDer: old.signerCertDer,
      signer: old.signer,
      dataHash: data,
      propertyInfo: 'p',
      time: fx.clock.now,
    });
    fx.clock.now = new Date(fx.clock.now.getTime() + 86400_000);
    const renewed = await renewSeal(deps, old.sealId, {
      validTo: in3y(),
      reason: '有效期届满续期',
      actor: { kind: 'system', id: 't' },
    });
    assert.equal(renewed.replaces_id, old.sealId);
    assert.equal(renewed.es_id, old.esId);
    const now = await activeSeal(deps, fx.agencyA, fx.clock.now);
    assert.equal(now.sealId, renewed.id);
    const oldRow = await fx.store.db
      .selectFrom('seals')
      .select('status')
      .where('id', '=', old.sealId)
      .executeTakeFirstOrThrow();
    assert.equal(oldRow.status, 'suspended');
    assert.equal(verifySES(oldSig, { dataHash: data, trustedRoots: deps.sealCrypto.trustedRoots() }).ok, true);
  });

  test('replacement: a new code after the physical seal is re-made; the old seal stops sealing, still verifies', async () => {
    const old = await activeSeal(deps, fx.agencyA, fx.clock.now);
    const data = sm3('sealed before the physical seal was lost');
    const oldSig = await signSES({
      sealDer: old.sealDer,
      signerCertDer: old.signerCertDer,
      signer: old.signer,
      dataHash: data,
      propertyInfo: 'p',
      time: fx.clock.now,
    });
    fx.clock.now = new Date(fx.clock.now.getTime() + 86400_000);
    const tA = await fx.login(adminA);
    // Same code: that is a renewal, not a replacement.
    const same = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${old.sealId}/replace`,
      headers: { authorization: `Bearer ${tA}` },
      payload: { esId: old.esId, validTo: in3y().toISOString(), reason: '重新刻制' },
    });
    assert.equal(same.statusCode, 422);
    assert.equal(same.json().error.code, 'SEAL_CODE_UNCHANGED');
    assert.equal(same.json().error.field, 'esId');
    const tB = await fx.login(adminB);
    const foreign = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${old.sealId}/replace`,
      headers: { authorization: `Bearer ${tB}` },
      payload: { esId: '4115260000012', validTo: in3y().toISOString(), reason: 'x' },
    });
    assert.equal(foreign.statusCode, 404, 'another agency’s seal looks missing');
    const r = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${old.sealId}/replace`,
      headers: { authorization: `Bearer ${tA}` },
      payload: { esId: '4115260000012', validTo: in3y().toISOString(), reason: '实物印章遗失后重新刻制' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const replacement = r.json() as { id: string; esId: string; replacesId: string; status: string };
    assert.equal(replacement.esId, '4115260000012', 'a new code');
    assert.equal(replacement.replacesId, old.sealId);
    assert.equal(
      parseSESeal(
        (
          await deps.ctx.store.db
            .selectFrom('seals')
            .select('seal_der')
            .where('id', '=', replacement.id)
            .executeTakeFirstOrThrow()
        ).seal_der,
      ).esId,
      '4115260000012',
    );
    const oldRow = await fx.store.db
      .selectFrom('seals')
      .select(['status', 'status_reason', 'es_id'])
      .where('id', '=', old.sealId)
      .executeTakeFirstOrThrow();
    assert.equal(oldRow.status, 'suspended');
    assert.match(oldRow.status_reason ?? '', /已更换为 4115260000012/);
    assert.equal((await activeSeal(deps, fx.agencyA, fx.clock.now)).sealId, replacement.id);
    const v = verifySES(oldSig, { dataHash: data, trustedRoots: deps.sealCrypto.trustedRoots() });
    assert.equal(v.ok && v.trusted, true, 'what the old seal sealed still verifies');
    const audited = await fx.store.db
      .selectFrom('audit.entries')
      .select('action')
      .where('object_id', '=', replacement.id)
      .execute();
    assert.ok(audited.some((a) => a.action === 'seal.replace'));
    // A revoked seal may be replaced (that is what a lost seal needs) but never renewed.
    await changeSealStatus(deps, replacement.id, 'revoked', '遗失', { kind: 'system', id: 't' });
    await assert.rejects(
      renewSeal(deps, replacement.id, { validTo: in3y(), reason: 'x', actor: { kind: 'system', id: 't' } }),
      (e: Error & { code?: string }) => e.code === 'SEAL_REVOKED',
    );
    const again = await replaceSeal(deps, replacement.id, {
      esId: '4115260000014',
      validTo: in3y(),
      reason: '遗失后重新刻制',
      actor: { kind: 'system', id: 't' },
    });
    assert.equal(again.replaces_id, replacement.id);
    const revokedRow = await fx.store.db
      .selectFrom('seals')
      .select('status')
      .where('id', '=', replacement.id)
      .executeTakeFirstOrThrow();
    assert.equal(revokedRow.status, 'revoked', 'a revoked seal stays revoked');
  });

  test('status route: 停用 (suspend) stops sealing, re-enabling restores it; both audited', async () => {
    const tA = await fx.login(adminA);
    const seal = await activeSeal(deps, fx.agencyA, fx.clock.now);
    const post = (status: string, reason: string) =>
      fx.app.inject({
        method: 'POST',
        url: `/api/v1/seals/${seal.sealId}/status`,
        headers: { authorization: `Bearer ${tA}` },
        payload: { status, reason },
      });
    const suspended = await post('suspended', '机构合并，暂停使用');
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().status, 'suspended');
    assert.equal(suspended.json().statusReason, '机构合并，暂停使用');
    await assert.rejects(activeSeal(deps, fx.agencyA, fx.clock.now), /没有有效的电子印章/);
    assert.ok(!registry.revoked.has(seal.esId), 'suspension is not a revocation at the national registry');
    const twice = await post('suspended', '再次');
    assert.equal(twice.statusCode, 422);
    assert.equal(twice.json().error.code, 'ILLEGAL_SEAL_TRANSITION');
    const back = await post('active', '恢复使用');
    assert.equal(back.statusCode, 200);
    assert.equal(back.json().status, 'active');
    assert.equal((await activeSeal(deps, fx.agencyA, fx.clock.now)).sealId, seal.sealId);
    const events = await fx.store.db
      .selectFrom('outbox')
      .select('event_type')
      .where('aggregate_id', '=', seal.sealId)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event_type).filter((t) => t === 'seal.suspended' || t === 'seal.active'),
      ['seal.suspended', 'seal.active'],
    );
    const audited = await fx.store.db
      .selectFrom('audit.entries')
      .select('action')
      .where('object_id', '=', seal.sealId)
      .execute();
    assert.ok(audited.some((a) => a.action === 'seal.suspended'));
    assert.ok(audited.some((a) => a.action === 'seal.active'));
  });

  test('a valid transparent scanned seal PNG is accepted and embedded in the seal; an opaque one is refused', async () => {
    const tA = await fx.login(adminA);
    const scan = new PNG({ width: 240, height: 240 });
    for (let y = 0; y < 240; y++)
      for (let x = 0; x < 240; x++) {
        const r = Math.hypot(x - 120, y - 120);
        const ink = r > 100 && r < 112; // a red ring on a transparent background
        const i = (y * 240 + x) * 4;
        scan.data[i] = 0xd4;
        scan.data[i + 1] = 0;
        scan.data[i + 2] = 0x0f;
        scan.data[i + 3] = ink ? 255 : 0;
      }
    const bytes = new Uint8Array(PNG.sync.write(scan, { colorType: 6 }));
    const r = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/agencies/${fx.agencyA}/seals`,
      headers: { authorization: `Bearer ${tA}` },
      payload: {
        esId: '4115260000013',
        name: SEAL_NAME,
        validTo: in3y().toISOString(),
        imagePngBase64: Buffer.from(bytes).toString('base64'),
      },
    });
    assert.equal(r.statusCode, 201, r.body);
    const row = await fx.store.db
      .selectFrom('seals')
      .select(['seal_der', 'picture_png'])
      .where('id', '=', r.json().id)
      .executeTakeFirstOrThrow();
    const parsed = parseSESeal(row.seal_der);
    assert.equal(parsed.picture.type, 'PNG');
    assert.deepEqual(
      Buffer.from(parsed.picture.data),
      Buffer.from(bytes),
      'the scan is the seal’s picture, byte for byte',
    );
    assert.deepEqual(Buffer.from(row.picture_png), Buffer.from(bytes));
    const img = await fx.app.inject({ url: `/api/v1/seals/${r.json().id}/image.png` });
    assert.deepEqual(img.rawPayload, Buffer.from(bytes));

    const opaque = new Uint8Array(PNG.sync.write(scan, { colorType: 2 }));
    const refused = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/agencies/${fx.agencyA}/seals`,
      headers: { authorization: `Bearer ${tA}` },
      payload: {
        esId: '4115260000015',
        name: SEAL_NAME,
        validTo: in3y().toISOString(),
        imagePngBase64: Buffer.from(opaque).toString('base64'),
      },
    });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.field, 'imagePngBase64');
    assert.match(refused.json().error.message, /透明/);
    assert.match(refused.json().error.messageEn, /transparency/);
  });

  test('routes: admins manage only their own agency’s seals; others get 404, clerks 403, anonymous 401', async () => {
    const tA = await fx.login(adminA);
    const tB = await fx.login(adminB);
    const tClerk = await fx.login(clerkA);
    const list = await fx.app.inject({
      url: `/api/v1/agencies/${fx.agencyA}/seals`,
      headers: { authorization: `Bearer ${tA}` },
    });
    assert.equal(list.statusCode, 200);
    const seals = list.json().items as { id: string; status: string }[];
    assert.ok(seals.length >= 2);
    const active = seals.find((s) => s.status === 'active')!;

    const other = await fx.app.inject({
      url: `/api/v1/agencies/${fx.agencyA}/seals`,
      headers: { authorization: `Bearer ${tB}` },
    });
    assert.equal(other.statusCode, 404);
    const anon = await fx.app.inject({ url: `/api/v1/agencies/${fx.agencyA}/seals` });
    assert.equal(anon.statusCode, 401);

    const bRevoke = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${active.id}/status`,
      headers: { authorization: `Bearer ${tB}` },
      payload: { status: 'revoked', reason: 'x' },
    });
    assert.equal(bRevoke.statusCode, 404, 'another agency’s seal looks missing');
    const clerk = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${active.id}/status`,
      headers: { authorization: `Bearer ${tClerk}` },
      payload: { status: 'revoked', reason: 'x' },
    });
    assert.equal(clerk.statusCode, 403);
    const noReason = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${active.id}/status`,
      headers: { authorization: `Bearer ${tA}` },
      payload: { status: 'revoked', reason: '' },
    });
    assert.equal(noReason.statusCode, 400);
    assert.equal(noReason.json().error.field, 'reason');

    const badPng = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/agencies/${fx.agencyA}/seals`,
      headers: { authorization: `Bearer ${tA}` },
      payload: {
        esId: '4115260000011',
        name: SEAL_NAME,
        validTo: in3y().toISOString(),
        imagePngBase64: Buffer.from('not a png').toString('base64'),
      },
    });
    assert.equal(badPng.statusCode, 400);
    assert.equal(badPng.json().error.field, 'imagePngBase64');

    const revoke = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${active.id}/status`,
      headers: { authorization: `Bearer ${tA}` },
      payload: { status: 'revoked', reason: '实物印章遗失' },
    });
    assert.equal(revoke.statusCode, 200);
    assert.equal(revoke.json().status, 'revoked');
    assert.equal(registry.revoked.get(revoke.json().esId), '实物印章遗失');
    const again = await fx.app.inject({
      method: 'POST',
      url: `/api/v1/seals/${active.id}/status`,
      headers: { authorization: `Bearer ${tA}` },
      payload: { status: 'active', reason: '恢复' },
    });
    assert.equal(again.statusCode, 422);
    assert.equal(again.json().error.code, 'ILLEGAL_SEAL_TRANSITION');
    // The revoked seal is never chosen again (other seals of the agency made above may still be active).
    const still = await activeSeal(deps, fx.agencyA, fx.clock.now).catch(() => undefined);
    assert.notEqual(still?.sealId, active.id);

    const img = await fx.app.inject({ url: `/api/v1/seals/${active.id}/image.png` });
    assert.equal(img.statusCode, 200);
    assert.equal(img.headers['content-type'], 'image/png');
  });
});
