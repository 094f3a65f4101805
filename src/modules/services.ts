import { join } from 'node:path';
import type { Config } from '../config.js';
import { DevCa } from '../crypto/dev-ca.js';
import { HttpKeyStore, type KeyStore, LocalKeyStore } from '../crypto/keystore.js';
import type { App } from '../http/server.js';
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
import { objectionRoutes } from './objections/routes.js';
import { type CertificateDirectory, ObjectionService } from './objections/service.js';
import { createFieldCrypto } from './privacy/field-crypto.js';
import { loadFieldMasterKey } from './privacy/master-key.js';

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
  // Until the issuance context provides its directory, no certificate is known (objections answer 404).
  const certificates: CertificateDirectory = { describe: async () => undefined };
  const objections = new ObjectionService({ db: store.db, fieldCrypto, certificates, now });

  // Demo steps run in this order: agencies and seals first, then the users that belong to them.
  DEMO_STEPS.length = 0;
  DEMO_STEPS.push(
    catalogDemoStep(() => catalog),
    identityDemoStep,
  );

  return { ctx, certificates, keys, sealCrypto, catalog, identity, objections };
}

export function routePlugins(s: Services): ((app: App) => void)[] {
  return [
    s.identity.routes,
    catalogRoutes(s.catalog, s.identity.auth),
    objectionRoutes(s.objections, s.identity.auth),
    auditRoutes(s.ctx.store.db, s.identity.auth, s.certificates),
  ];
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
