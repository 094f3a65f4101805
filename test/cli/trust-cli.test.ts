import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { LocalKeyStore } from '../../src/crypto/keystore.js';
import { makeSeal } from '../../src/crypto/ses.js';
import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import { parseCertificate } from '../../src/crypto/x509.js';
import { renderCertificate } from '../../src/documents/render.js';
import { sealPng } from '../../src/documents/seal-image.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { type OpenSslCa, openSslCa } from '../catalog/openssl-ca.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { createTestDatabaseUrl, TEST_BACKEND } from '../support/store.js';

const SEAL_NAME = '潢川县自然资源局不动产登记专用章';
const MASTER_KEY = '5a'.repeat(32);

/**
 * The production setup from the command line (docs/crypto.md "Production setup"): trust store import, CSR → CA →
 * certify, seal import from the provincial platform, trust export, and `bdcert verify` with and without the roots.
 */
describe(`bdcert trust / credentials / seals in production mode [${TEST_BACKEND}]`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-trust-cli-'));
  let ca: OpenSslCa;
  let pg: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env });
  const state: { credentialId?: string; keyRef?: string; certPem?: string } = {};

  before(async () => {
    ca = openSslCa('CLI测试CA');
    pg = await createTestDatabaseUrl();
    env = {
      ...process.env,
      BDCERT_MODE: 'production',
      BASE_URL: 'https://bdc.example.gov.cn',
      DATA_DIR: dir,
      BDCERT_MASTER_KEY: MASTER_KEY,
      DATABASE_URL: pg?.url ?? '',
      LOG_LEVEL: 'warn',
    };
    // Production has no demo agencies: the register module creates them; here the test inserts one.
    const store = await openStore(pg ? { databaseUrl: pg.url } : { dataDir: dir });
    await migrateToLatest(store.db);
    await sql`insert into agencies (id, name, uscc, region_code, level, province_abbr, city_county_name, seal_name)
      values (gen_random_uuid(), '潢川县自然资源局', '11411526MB1A00028N', '411526', 'county', '豫', '潢川县',
      ${SEAL_NAME})`.execute(store.db);
    await store.close();
  });
  after(async () => {
    ca.dispose();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('trust import takes the CA bundle; credentials request writes a CSR; certify imports what the CA issued', () => {
    writeFileSync(join(dir, 'ca.pem'), ca.intermediatePem + ca.rootPem);
    const t = cli('trust', 'import', join(dir, 'ca.pem'), '--note', 'CLI测试CA');
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /已导入 added {2}root/);
    assert.match(t.stdout, /已导入 added {2}intermediate/);
    const r = cli('credentials', 'request', '--agency', '411526', '--out', join(dir, 'a.csr'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const { credentialId } = JSON.parse(r.stdout) as { credentialId: string };
    state.credentialId = credentialId;
    state.certPem = ca.issue(readFileSync(join(dir, 'a.csr'), 'utf8'));
    writeFileSync(join(dir, 'a.pem'), state.certPem);
    const c = cli('credentials', 'certify', credentialId, join(dir, 'a.pem'), '--json');
    assert.equal(c.status, 0, c.stderr);
    const cred = JSON.parse(c.stdout) as { status: string; key_ref: string };
    assert.equal(cred.status, 'active');
    state.keyRef = cred.key_ref;
  });

  test('seals import registers the platform’s seal; a file it sealed verifies with the exported trust store', async () => {
    const platform = ca.keyAndCert('/C=CN/CN=省级电子印章平台');
    const picturePng = sealPng('潢川县自然资源局', 200);
    const now = Date.now();
    const sealDer = await makeSeal({
      esId: '4115260000051',
      name: SEAL_NAME,
      validFrom: new Date(now - 60_000),
      validTo: new Date(now + 200 * 86400_000),
      signerCertsDer: [parseCertificate(state.certPem!).der],
      picture: { type: 'PNG', data: picturePng, widthMm: 42, heightMm: 42 },
      maker: {
        certDer: parseCertificate(platform.certPem).der,
        signer: Sm2PrivateKey.fromPem(platform.keyPem).asSigner(),
      },
    });
    writeFileSync(join(dir, 'seal.esl'), sealDer);
    const wrong = cli('seals', 'import', join(dir, 'seal.esl'), '--agency', '411526', '--code', '4115260000052');
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /SEAL_CODE_MISMATCH \(esId\): 印章文件的编码 4115260000051/);
    const ok = cli(
      'seals',
      'import',
      join(dir, 'seal.esl'),
      '--agency',
      '411526',
      '--code',
      '4115260000051',
      '--filing-no',
      'GA-41-2026-000051',
      '--json',
    );
    assert.equal(ok.status, 0, ok.stderr);
    const seal = (JSON.parse(ok.stdout) as { seal: { origin: string; status: string; filing_no: string } }).seal;
    assert.deepEqual([seal.origin, seal.status, seal.filing_no], ['imported', 'active', 'GA-41-2026-000051']);
    const ex = cli('trust', 'export', '--out', join(dir, 'roots.pem'));
    assert.equal(ex.status, 0, ex.stderr);
    assert.equal(readFileSync(join(dir, 'roots.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 2);

    // Seal a file with the key the CLI made in the key store, as the sealing service would.
    const keys = new LocalKeyStore(join(dir, 'keys', 'store'), Buffer.from(MASTER_KEY, 'hex'));
    const ofd = await renderCertificate({
      face: P,
      seal: {
        sealDer,
        signerCertDer: parseCertificate(state.certPem!).der,
        signer: await keys.signer(state.keyRef!),
        picturePng,
      },
      time: new Date(),
      docId: 'CLI',
      meta: {},
    });
    writeFileSync(join(dir, 'c.ofd'), ofd.ofd);
    const v = cli('verify', join(dir, 'c.ofd'), '--offline', '--ca', join(dir, 'roots.pem'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /✔ 通过 {2}签章者证书链至信任根/);
    assert.match(v.stdout, /verdict: VALID$/m);
  });
});
