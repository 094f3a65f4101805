import { join } from 'node:path';
import type { Config } from '../config.js';
import { DevCa } from '../crypto/dev-ca.js';
import { HttpKeyStore, type KeyStore, LocalKeyStore } from '../crypto/keystore.js';
import type { Sm2Signer } from '../crypto/sm2.js';
import { DEFAULT_PROOF_TYPE_CODE } from '../domain/catalog.js';
import type { App } from '../http/server.js';
import { webRoutes } from '../http/web.js';
import { FsBlobStore } from '../store/blobs.js';
import type { Store } from '../store/database.js';
import { auditRoutes } from './audit/routes.js';
import { catalogDemoStep } from './catalog/demo.js';
import { catalogRoutes } from './catalog/routes.js';
import { createSealCrypto } from './catalog/seal-crypto.js';
import type { CatalogDeps, SealCrypto } from './catalog/service.js';
import type { ServiceContext } from './context.js';
import { DEMO_STEPS } from './demo/seed.js';
import { identityDemoStep } from './identity/demo.js';
import { createIdentity, type IdentityModule } from './identity/index.js';
import { HttpSealRegistry } from './integrations/seal-registry/http.js';
import type { SealRegistryPort } from './integrations/seal-registry/port.js';
import { SimulatedSealRegistry } from './integrations/seal-registry/simulator.js';
import { documentsRenderer } from './issuance/documents-renderer.js';
import * as issuanceRepo from './issuance/repository.js';
import { issuanceRoutes } from './issuance/routes.js';
import { runBatch, startBatch } from './issuance/sealing.js';
import type { IssuanceDeps } from './issuance/service.js';
import { objectionRoutes } from './objections/routes.js';
import { type CertificateDirectory, ObjectionService } from './objections/service.js';
import { createFieldCrypto } from './privacy/field-crypto.js';
import { loadFieldMasterKey } from './privacy/master-key.js';
import { sharingRoutes } from './sharing/routes.js';

/**
 * The composition root of the application services: one place that turns configuration into ports and adapters
 * (key store, CA, seal registry, SMS …) and hands each bounded context what it needs. Tests build the same graph with
 * their own clock and simulators.
 */
export interface Services {
  readonly ctx: ServiceContext;
  readonly certificates: CertificateDirectory;
  readonly keys: KeyStore;
  readonly sealCrypto: SealCrypto;
  readonly catalog: CatalogDeps;
  readonly identity: IdentityModule;
  readonly objections: ObjectionService;
  readonly issuance: IssuanceDeps;
}

export interface ServiceOptions {
  readonly now?: () => Date;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: ServiceContext['log'];
}

const quietLog: ServiceContext['log'] = { info() {}, warn() {}, error() {}, debug() {} };

export async function createServices(config: Config, store: Store, o: ServiceOptions = {}): Promise<Services> {
  const env = o.env ?? process.env;
  const now = o.now ?? (() => new Date());
  const log = o.log ?? quietLog;
  const masterKey = loadFieldMasterKey(config, env);
  const fieldCrypto = createFieldCrypto(masterKey);
  const ctx: ServiceContext = {
    config,
    store,
    blobs: new FsBlobStore(join(config.dataDir, 'blobs')),
    fieldCrypto,
    now,
    log,
  };

  // Signing keys: a signing server when configured (BDCERT_SIGNING_URL), else the local encrypted key store.
  const keys: KeyStore = env.BDCERT_SIGNING_URL
    ? new HttpKeyStore(env.BDCERT_SIGNING_URL)
    : new LocalKeyStore(join(config.dataDir, 'keys', 'store'), masterKey);

  let sealCrypto: SealCrypto;
  if (config.mode === 'demo') {
    const ca = await DevCa.loadOrCreate(keys, join(config.dataDir, 'keys', 'dev-ca.json'), now());
    sealCrypto = createSealCrypto(keys, ca, now);
  } else {
    sealCrypto = productionSealCrypto(keys);
  }

  const sealRegistry: SealRegistryPort = env.BDCERT_SEAL_REGISTRY_URL
    ? new HttpSealRegistry(env.BDCERT_SEAL_REGISTRY_URL)
    : config.mode === 'demo'
      ? new SimulatedSealRegistry(now, (msg, data) => log.warn(data, `[模拟器 / SIMULATOR] ${msg}`))
      : unconfiguredSealRegistry();

  const catalog: CatalogDeps = { ctx, sealCrypto, sealRegistry };
  const identity = createIdentity({
    config,
    store,
    fieldCrypto,
    now,
    env,
    log: { info: (d, m) => log.info(d, m), warn: (d, m) => log.warn(d, m) },
  });
  // Objections and "who accessed mine" find a certificate's issuer and holders here.
  const certificates: CertificateDirectory = {
    describe: async (id) => {
      const c = /^[0-9a-f-]{36}$/.test(id)
        ? await issuanceRepo.findCertificate(store.db, id)
        : await issuanceRepo.findByIdentifier(store.db, id);
      return c ? { issuingAgencyId: c.agency_id, holderKeys: c.holder_keys } : undefined;
    },
  };
  const objections = new ObjectionService({ db: store.db, fieldCrypto, certificates, now });

  const nodeSigner = await nodeSigningKey(keys, store);
  const issuance: IssuanceDeps = {
    ctx,
    catalog,
    renderer: documentsRenderer(),
    nodeSigner,
    catalogConfig: { proofTypeCode: env.BDCERT_PROOF_TYPE_CODE ?? DEFAULT_PROOF_TYPE_CODE },
    // Real-time sealing mode (Henan 三(一)5 “有条件的地市可以实现新增证照实时签章”): seal right after the entry commits.
    onPending: (agencyId) => {
      void startBatch(issuance, { agencyId, trigger: 'realtime', actor: { kind: 'system', id: 'realtime-sealing' } })
        .then((b) => runBatch(issuance, b.id))
        .catch((e: unknown) =>
          log.error({ err: e instanceof Error ? e.message : String(e) }, 'real-time sealing failed'),
        );
    },
  };

  // Demo steps run in this order: agencies and seals first, then the users that belong to them.
  DEMO_STEPS.length = 0;
  DEMO_STEPS.push(
    catalogDemoStep(() => catalog),
    identityDemoStep,
  );

  return { ctx, certificates, keys, sealCrypto, catalog, identity, objections, issuance };
}

export function routePlugins(s: Services): ((app: App) => void)[] {
  return [
    s.identity.routes,
    catalogRoutes(s.catalog, s.identity.auth),
    objectionRoutes(s.objections, s.identity.auth),
    auditRoutes(s.ctx.store.db, s.identity.auth, s.certificates),
    issuanceRoutes(s.issuance, s.identity.auth),
    sharingRoutes({ issuance: s.issuance }, s.identity.auth),
    (app) => webRoutes(app),
  ];
}

/**
 * The node's own SM2 key (signs 信息二维码 payloads; later the sync messages). Created once; its reference is kept in
 * app_meta so a signing server's key is found again.
 */
async function nodeSigningKey(keys: KeyStore, store: Store): Promise<Sm2Signer> {
  const row = await store.db
    .selectFrom('app_meta')
    .select('value')
    .where('key', '=', 'node.signing_key_ref')
    .executeTakeFirst();
  if (row) return keys.signer(row.value);
  const { keyRef } = await keys.generate('node signing key');
  await store.db
    .insertInto('app_meta')
    .values({ key: 'node.signing_key_ref', value: keyRef })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const again = await store.db
    .selectFrom('app_meta')
    .select('value')
    .where('key', '=', 'node.signing_key_ref')
    .executeTakeFirstOrThrow();
  return keys.signer(again.value);
}

/** Production: certificates come from a licensed CA; until one is imported, seal creation says so. */
function productionSealCrypto(keys: KeyStore): SealCrypto {
  const refuse = () => {
    throw new Error(
      '生产模式须导入持牌CA签发的签章证书与制章者证书 / production: import signer and seal-maker certificates from a licensed CA',
    );
  };
  return {
    provisionSigner: async () => refuse(),
    makeSeal: async () => refuse(),
    signer: (ref) => keys.signer(ref),
    sealPicture: async () => refuse(),
    trustedRoots: () => [],
  };
}

function unconfiguredSealRegistry(): SealRegistryPort {
  return {
    label: '国家印章备案系统（未配置）/ national seal registry (not configured: set BDCERT_SEAL_REGISTRY_URL)',
    simulated: false,
    file: async () => {
      throw new Error('BDCERT_SEAL_REGISTRY_URL is not set');
    },
    revoke: async () => {
      throw new Error('BDCERT_SEAL_REGISTRY_URL is not set');
    },
  };
}
