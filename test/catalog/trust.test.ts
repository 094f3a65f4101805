import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { csrToPem, parseCsr } from '../../src/crypto/csr.js';
import { DevCa } from '../../src/crypto/dev-ca.js';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal, signSES, verifySES } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { sm3, sm3Hex } from '../../src/crypto/sm3.js';
import { parseCertificate, verifyChain } from '../../src/crypto/x509.js';
import { renderCertificate } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { verifyOfd } from '../../src/documents/verify.js';
import { certifyCredential, requestCredential } from '../../src/modules/catalog/credentials.js';
import { createSealCrypto } from '../../src/modules/catalog/seal-crypto.js';
import { activeSeal, type CatalogDeps, createSeal, importSeal } from '../../src/modules/catalog/service.js';
import { TrustStore } from '../../src/modules/catalog/trust-store.js';
import { SimulatedSealRegistry } from '../../src/modules/integrations/seal-registry/simulator.js';
import { createFieldCrypto } from '../../src/modules/privacy/field-crypto.js';
import { FsBlobStore } from '../../src/store/blobs.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { insertAgency } from '../identity/fixture.js';
import { openTestStore, TEST_BACKEND, type TestStore } from '../support/store.js';
import { type OpenSslCa, openSslCa } from './openssl-ca.js';

const SEAL_NAME = '潢川县自然资源局不动产登记专用章';
const actor = { kind: 'system', id: 'test' } as const;
type Refusal = Error & { code?: string; field?: string };
const refusedWith = (code: string) => (e: Refusal) => {
  assert.equal(e.code, code, `${e.code}: ${e.message}`);
  return true;
};

/**
 * Production sealing without a development CA (issue 4 §2, §6): the trust store, signer and seal-maker certificates
 * from a CA outside bdcert (the OpenSSL CLI), and seals from the provincial seal platform (Sichuan Art. 3).
 */
describe(`trust store, credentials and seal import [${TEST_BACKEND}]`, () => {
  let store: TestStore;
  let dir: string;
  let ca: OpenSslCa;
  let deps: CatalogDeps;
  let trust: TrustStore;
  let agencyA: string;
  let agencyB: string;
  let signerCertDer: Uint8Array;
  // OpenSSL certificates start at the machine's time of issue, so the test clock runs 10 minutes ahead of it (and
  // only moves forward): every certificate issued during the test is already valid on it.
  const clock = { now: new Date(Date.now() + 10 * 60_000) };
  const inDays = (d: number) => new Date(clock.now.getTime() + d * 86400_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdcert-trust-'));
    ca = openSslCa();
    store = await openTestStore();
    agencyA = await insertAgency(store, '潢川县自然资源局', '11411526MB1A00028N', '411526');
    agencyB = await insertAgency(store, '光山县自然资源局', '11411522MB1A0003XQ', '411522');
    await sql`update agencies set seal_name = ${SEAL_NAME} where id = ${agencyA}`.execute(store.db);
    const keys = new LocalKeyStore(join(dir, 'keys'), Buffer.alloc(32, 3));
    trust = await TrustStore.open(store.db, () => clock.now);
    deps = {
      ctx: {
        config: loadConfig({ BDCERT_MODE: 'production', BASE_URL: 'https://bdc.example.gov.cn' }),
        store,
        blobs: new FsBlobStore(join(dir, 'blobs')),
        fieldCrypto: createFieldCrypto(Buffer.alloc(32, 9)),
        now: () => clock.now,
        log: { info() {}, warn() {}, error() {}, debug() {} },
      },
      // No devCa: exactly what production wires.
      sealCrypto: createSealCrypto({ db: store.db, keys, trust, now: () => clock.now }),
      sealRegistry: new SimulatedSealRegistry(() => clock.now),
      trust,
      keys,
    };
  });
  after(async () => {
    await store.dispose();
    ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('trust store: OpenSSL root and intermediate imported with SM3 fingerprints, audited; leaves and orphans refused', async () => {
    await assert.rejects(trust.importCertificates(ca.intermediatePem, { actor }), refusedWith('TRUST_CHAIN'));
    const leaf = ca.keyAndCert('/C=CN/CN=not a CA');
    await assert.rejects(trust.importCertificates(leaf.certPem, { actor }), refusedWith('TRUST_NOT_CA'));
    await assert.rejects(trust.importCertificates('garbage', { actor }), refusedWith('TRUST_CERT_UNREADABLE'));
    assert.equal(trust.anchors().length, 0, 'a refused file imports nothing');
    // The intermediate first in the file: roots are taken first anyway.
    const results = await trust.importCertificates(ca.intermediatePem + ca.rootPem, { actor, note: 'OpenSSL 测试CA' });
    assert.deepEqual(
      results.map((r) => [r.kind, r.outcome]),
      [
        ['root', 'added'],
        ['intermediate', 'added'],
      ],
    );
    assert.equal(results[0]!.fingerprint, sm3Hex(parseCertificate(ca.rootPem).der), 'the SM3 of the DER');
    assert.deepEqual(
      (await trust.importCertificates(ca.rootPem, { actor })).map((r) => r.outcome),
      ['unchanged'],
    );
    assert.equal(trust.anchors().length, 2);
    const audited = await store.db
      .selectFrom('audit.entries')
      .select(['action', 'object_id'])
      .where('object_type', '=', 'trust-certificate')
      .execute();
    assert.deepEqual(
      audited.map((a) => a.action),
      ['trust.import', 'trust.import'],
    );
  });

  test('an OpenSSL-issued leaf from a bdcert CSR chain-verifies through the intermediate and is imported', async () => {
    // Production without credentials refuses and says what to do.
    await assert.rejects(
      createSeal(deps, {
        agencyId: agencyA,
        esId: '4115260000021',
        name: SEAL_NAME,
        validFrom: clock.now,
        validTo: inDays(300),
        actor,
      }),
      (e: Refusal) => e.code === 'NO_SIGNER_CERTIFICATE' && /credentials request/.test(e.message),
    );
    const { credential, csrDer } = await requestCredential(deps, { agencyId: agencyA, purpose: 'signer', actor });
    assert.equal(credential.status, 'awaiting-certificate');
    const csr = parseCsr(csrDer);
    assert.equal(csr.signatureValid, true);
    // OpenSSL checks the request's SM2 signature, then issues the leaf as a CA would.
    writeFileSync(join(dir, 'a.csr'), csrToPem(csrDer));
    const verified = execFileSync(
      'openssl',
      ['req', '-in', join(dir, 'a.csr'), '-verify', '-noout', '-vfyopt', 'distid:1234567812345678'],
      { encoding: 'utf8', stdio: 'pipe' },
    );
    assert.equal(verified, '');
    const leafPem = ca.issue(csrToPem(csrDer));
    const leaf = parseCertificate(leafPem);
    assert.match(leaf.subject, /CN=潢川县自然资源局/);
    assert.deepEqual(
      verifyChain(leaf.der, { roots: trust.anchors(), at: clock.now, requireUsage: 'digitalSignature' }),
      {
        ok: true,
      },
    );
    // A certificate for another key is refused; so is a CA certificate or one from an untrusted CA.
    const other = await requestCredential(deps, { agencyId: agencyA, purpose: 'signer', actor });
    await assert.rejects(
      certifyCredential(deps, other.credential.id, leafPem, actor),
      refusedWith('CERT_KEY_MISMATCH'),
    );
    await assert.rejects(
      certifyCredential(
        deps,
        other.credential.id,
        ca.issue(csrToPem(other.csrDer), { usage: 'keyCertSign', ca: true }),
        actor,
      ),
      refusedWith('CERT_IS_CA'),
    );
    const stranger = openSslCa('陌生CA');
    try {
      await assert.rejects(
        certifyCredential(deps, other.credential.id, stranger.issue(csrToPem(other.csrDer)), actor),
        refusedWith('CERT_UNTRUSTED'),
      );
    } finally {
      stranger.dispose();
    }
    // The CA's reply with its chain attached: the leaf is found by its key.
    const certified = await certifyCredential(deps, credential.id, leafPem + ca.intermediatePem, actor);
    assert.equal(certified.status, 'active');
    assert.equal(certified.fingerprint, sm3Hex(leaf.der));
    signerCertDer = leaf.der;
    await assert.rejects(
      certifyCredential(deps, credential.id, leafPem, actor),
      refusedWith('CREDENTIAL_NOT_AWAITING'),
    );
  });

  test('with an imported seal-maker certificate a seal is made locally, signs, and verifies against the trust store', async () => {
    await assert.rejects(
      createSeal(deps, {
        agencyId: agencyA,
        esId: '4115260000021',
        name: SEAL_NAME,
        validFrom: clock.now,
        validTo: inDays(300),
        actor,
      }),
      refusedWith('NO_SEAL_MAKER'),
    );
    // A platform-wide seal maker (no agency), as the province's seal centre would hold.
    const maker = await requestCredential(deps, {
      purpose: 'seal-maker',
      subject: { commonName: '河南省电子印章制作中心（测试）' },
      actor,
    });
    await certifyCredential(deps, maker.credential.id, ca.issue(csrToPem(maker.csrDer)), actor);
    await assert.rejects(
      createSeal(deps, {
        agencyId: agencyA,
        esId: '4115260000021',
        name: SEAL_NAME,
        validFrom: clock.now,
        validTo: inDays(400),
        actor,
      }),
      refusedWith('SEAL_OUTLIVES_CERTIFICATE'),
    );
    const seal = await createSeal(deps, {
      agencyId: agencyA,
      esId: '4115260000021',
      name: SEAL_NAME,
      validFrom: clock.now,
      validTo: inDays(300),
      actor,
    });
    assert.equal(seal.origin, 'local');
    assert.deepEqual(Buffer.from(seal.signer_cert_der), Buffer.from(signerCertDer));
    const active = await activeSeal(deps, agencyA, clock.now);
    const data = sm3('Signature.xml');
    const sig = await signSES({
      sealDer: active.sealDer,
      signerCertDer: active.signerCertDer,
      signer: active.signer,
      dataHash: data,
      propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml',
      time: clock.now,
    });
    const v = verifySES(sig, { dataHash: data, trustedRoots: deps.sealCrypto.trustedRoots() });
    assert.equal(v.ok, true, JSON.stringify(v.steps.filter((s) => s.status !== 'passed')));
    assert.equal(v.trusted, true);
    // A whole certificate file sealed with it verifies on the production path.
    const ofd = (
      await renderCertificate({
        face: P,
        seal: {
          sealDer: active.sealDer,
          signerCertDer: active.signerCertDer,
          signer: active.signer,
          picturePng: active.picturePng,
        },
        time: clock.now,
        docId: 'P',
        meta: {},
      })
    ).ofd;
    const ok = await verifyOfd(ofd, { trustedRoots: deps.sealCrypto.trustedRoots() });
    assert.equal(ok.verdict, 'valid', JSON.stringify(ok.checks.filter((c) => c.status !== 'passed')));
    // Removing the root from the trust store: what chains only through it is no longer trusted; re-import restores.
    const root = (await trust.list()).find((t) => t.kind === 'root')!;
    await trust.remove(root.id, '测试：CA 根证书撤销', actor);
    const untrusted = await verifyOfd(ofd, { trustedRoots: deps.sealCrypto.trustedRoots() });
    assert.equal(untrusted.verdict, 'invalid');
    assert.equal(untrusted.checks.find((c) => c.id === 'trust')?.status, 'failed');
    assert.deepEqual(
      (await trust.importCertificates(ca.rootPem, { actor })).map((r) => r.outcome),
      ['reactivated'],
    );
    assert.equal((await verifyOfd(ofd, { trustedRoots: deps.sealCrypto.trustedRoots() })).verdict, 'valid');
  });

  test('a seal from the provincial platform is registered only with a trusted maker, the registered name and code', async () => {
    clock.now = new Date(clock.now.getTime() + 60_000); // after the locally made seal above
    // The platform's seal-maker key never reaches bdcert: it makes the SESeal, bdcert gets the .esl file.
    const platform = ca.keyAndCert('/C=CN/O=河南省政务服务和大数据管理局/CN=省级电子印章平台制章（测试）');
    const platformMaker = {
      certDer: parseCertificate(platform.certPem).der,
      signer: Sm2PrivateKey.fromPem(platform.keyPem).asSigner(),
    };
    const picture = { type: 'PNG', data: sealPng('潢川县自然资源局', 300), widthMm: 42, heightMm: 42 };
    const make = (o: {
      esId?: string;
      name?: string;
      signers?: Uint8Array[];
      maker?: typeof platformMaker;
      from?: Date;
    }) =>
      makeSeal({
        esId: o.esId ?? '4115260000031',
        name: o.name ?? SEAL_NAME,
        createDate: clock.now,
        validFrom: o.from ?? clock.now,
        validTo: inDays(200),
        signerCertsDer: o.signers ?? [signerCertDer],
        picture,
        maker: o.maker ?? platformMaker,
      });
    const good = await make({});
    const imp = (sealDer: Uint8Array, extra: Partial<Parameters<typeof importSeal>[1]> = {}) =>
      importSeal(deps, { agencyId: agencyA, sealDer, esId: '4115260000031', actor, ...extra });
    await assert.rejects(imp(good, { esId: '4115260000099' }), (e: Refusal) => {
      assert.equal(e.code, 'SEAL_CODE_MISMATCH');
      assert.equal(e.field, 'esId');
      return true;
    });
    await assert.rejects(imp(await make({ name: '潢川县不动产登记专用章' })), refusedWith('SEAL_NAME_MISMATCH'));
    await assert.rejects(imp(good, { agencyId: agencyB }), refusedWith('SEAL_NAME_MISMATCH'));
    const devKeys = new LocalKeyStore(join(dir, 'dev'), Buffer.alloc(32, 4));
    const dev = await DevCa.create(devKeys, clock.now);
    await assert.rejects(imp(await make({ maker: dev.ca.maker })), refusedWith('SEAL_MAKER_UNTRUSTED'));
    const tampered = new Uint8Array(good);
    const at = Buffer.from(tampered).indexOf(Buffer.from('4115260000031'));
    tampered[at + 12] = '2'.charCodeAt(0); // esID …031 → …032 inside the signed SES_SealInfo
    await assert.rejects(imp(tampered, { esId: '4115260000032' }), refusedWith('SEAL_MAKER_SIGNATURE'));
    const stranger = Sm2PrivateKey.generate();
    const strangerCert = await dev.ca.issue({ commonName: 'x' }, stranger.publicKey, 'signer', clock.now, inDays(9));
    await assert.rejects(imp(await make({ signers: [strangerCert] })), refusedWith('SEAL_SIGNER_NOT_HELD'));
    await assert.rejects(imp(new Uint8Array([0x30, 0x03, 1, 2, 3])), refusedWith('SEAL_FILE_INVALID'));

    const r = await imp(good, { filingNo: 'GA-41-2026-000123' });
    assert.equal(r.seal.origin, 'imported');
    assert.equal(r.seal.filing_no, 'GA-41-2026-000123', 'filed by the platform already: recorded, not re-filed');
    assert.deepEqual(Buffer.from(r.seal.seal_der), Buffer.from(good), 'kept byte for byte');
    await assert.rejects(imp(good), refusedWith('SEAL_ALREADY_REGISTERED'));
    clock.now = inDays(1);
    const active = await activeSeal(deps, agencyA, clock.now);
    assert.equal(active.sealId, r.seal.id, 'the newest valid seal seals');
    const data = sm3('x');
    const sig = await signSES({
      sealDer: active.sealDer,
      signerCertDer: active.signerCertDer,
      signer: active.signer,
      dataHash: data,
      propertyInfo: 'p',
      time: clock.now,
    });
    const v = verifySES(sig, { dataHash: data, trustedRoots: deps.sealCrypto.trustedRoots() });
    assert.equal(v.ok && v.trusted, true, JSON.stringify(v.steps.filter((s) => s.status !== 'passed')));
    // The platform renews it (same code, new validity): the import names the seal it renews, which stops sealing.
    const renewed = await imp(await make({ from: clock.now }), { replacesId: r.seal.id, reason: '续期' });
    assert.equal(renewed.seal.replaces_id, r.seal.id);
    const old = await store.db
      .selectFrom('seals')
      .select('status')
      .where('id', '=', r.seal.id)
      .executeTakeFirstOrThrow();
    assert.equal(old.status, 'suspended');
    const audit = await store.db
      .selectFrom('audit.entries')
      .select('details')
      .where('object_id', '=', renewed.seal.id)
      .where('action', '=', 'seal.import')
      .executeTakeFirstOrThrow();
    assert.equal((audit.details as { kind: string }).kind, 'renewal');
  });
});
