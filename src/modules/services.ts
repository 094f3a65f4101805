import { join } from 'node:path';
import { type Config, withEnvOverrides } from '../config.js';
import { DevCa } from '../crypto/dev-ca.js';
import { HttpKeyStore, type KeyStore, LocalKeyStore } from '../crypto/keystore.js';
import type { Sm2Signer } from '../crypto/sm2.js';
import type { App } from '../http/server.js';
import { webRoutes } from '../http/web.js';
import { FsBlobStore } from '../store/blobs.js';
import type { Store } from '../store/database.js';
import { auditRoutes } from './audit/routes.js';
import { catalogDemoStep } from './catalog/demo.js';
import { catalogRoutes } from './catalog/routes.js';
import { createSealCrypto } from './catalog/seal-crypto.js';
import type { CatalogDeps, SealCrypto } from './catalog/service.js';
import { trustRoutes } from './catalog/trust-routes.js';
import { TrustStore } from './catalog/trust-store.js';
import type { ServiceContext } from './context.js';
import { DEMO_STEPS } from './demo/seed.js';
import { identityDemoStep } from './identity/demo.js';
import { createIdentity, type IdentityModule } from './identity/index.js';
import { createImportService, type ImportService } from './imports/jobs.js';
import { importRoutes } from './imports/routes.js';
import { HttpSealRegistry } from './integrations/seal-registry/http.js';
import type { SealRegistryPort } from './integrations/seal-registry/port.js';
import { SimulatedSealRegistry } from './integrations/seal-registry/simulator.js';
import { documentsRenderer } from './issuance/documents-renderer.js';
import * as issuanceRepo from './issuance/repository.js';
import { issuanceRoutes } from './issuance/routes.js';
import { scheduleRoutes } from './issuance/schedule-routes.js';
import { runBatch, startBatch } from './issuance/sealing.js';
import type { IssuanceDeps } from './issuance/service.js';
import { lifecycleRoutes } from './lifecycle/routes.js';
import { objectionRoutes } from './objections/routes.js';
import { type CertificateDirectory, ObjectionService } from './objections/service.js';
import { createFieldCrypto } from './privacy/field-crypto.js';
import { loadFieldMasterKey } from './privacy/master-key.js';
import { loadCodeTables } from './register/code-tables.js';
import { registerRoutes } from './register/routes.js';
import { sharingRoutes } from './sharing/routes.js';
import { createSync, type SyncModule } from './sync/index.js';
import { syncRoutes } from './sync/routes.js';

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
  /** Table imports (stock, register entries) as resumable background jobs. */
  readonly imports: ImportService;
  /** City → province synchronisation and the province library, by BDCERT_ROLE (docs/sync.md). */
  readonly sync: SyncModule;
}

export interface ServiceOptions {
  readonly now?: () => Date;
  /** Port variables (BDCERT_MASTER_KEY …) replacing the configuration's, validated the same way (tests, bench). */
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: ServiceContext['log'];
}

const quietLog: ServiceContext['log'] = { info() {}, warn() {}, error() {}, debug() {} };

export async function createServices(given: Config, store: Store, o: ServiceOptions = {}): Promise<Services> {
  const config = o.env ? withEnvOverrides(given, o.env) : given;
  const now = o.now ?? (() => new Date());
  const log = o.log ?? quietLog;
  const masterKey = loadFieldMasterKey(config);
  const fieldCrypto = createFieldCrypto(masterKey);
  const blobRoot = join(config.dataDir, 'blobs');
  const ctx: ServiceContext = {
    config,
    store,
    blobs: new FsBlobStore(blobRoot),
    fieldCrypto,
    now,
    log,
  };

  // Signing keys: a signing server when configured (BDCERT_SIGNING_URL), else the local encrypted key store.
  const keys: KeyStore = config.ports.signingUrl
    ? new HttpKeyStore(config.ports.signingUrl)
    : new LocalKeyStore(join(config.dataDir, 'keys', 'store'), masterKey);

  // Trusted CA certificates (docs/crypto.md): imported in production; in demo the development root is added too,
  // so seals verify on the one path. Certificates and seals "issued elsewhere" are imported against it.
  const trust = await TrustStore.open(store.db, now);
  const devCa =
    config.mode === 'demo'
      ? await DevCa.loadOrCreate(keys, join(config.dataDir, 'keys', 'dev-ca.json'), now())
      : undefined;
  if (devCa)
    await trust.importCertificates(devCa.rootCertDer, {
      actor: { kind: 'system', id: 'demo-dev-ca' },
      origin: 'dev-ca',
      note: '开发测试根CA（非生产）/ development root CA (not for production)',
    });
  const sealCrypto: SealCrypto = createSealCrypto({ db: store.db, keys, trust, ...(devCa ? { devCa } : {}), now });

  const sealRegistry: SealRegistryPort = config.ports.sealRegistryUrl
    ? new HttpSealRegistry(config.ports.sealRegistryUrl)
    : config.mode === 'demo'
      ? new SimulatedSealRegistry(now, (msg, data) => log.warn(data, `[模拟器 / SIMULATOR] ${msg}`))
      : unconfiguredSealRegistry();

  const catalog: CatalogDeps = { ctx, sealCrypto, sealRegistry, trust, keys };
  const identity = createIdentity({
    config,
    store,
    fieldCrypto,
    now,
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
    // The workers write sealed files straight into the blob store (the same directory as ctx.blobs).
    renderer: documentsRenderer({
      ...(config.renderWorkers === undefined ? {} : { workers: config.renderWorkers }),
      blobRoot,
    }),
    nodeSigner,
    catalogConfig: { proofTypeCode: config.ports.proofTypeCode },
    // Configured code tables (BDCERT_CODE_TABLES, issue 3 §3): an invalid file stops the start here.
    codeTables: loadCodeTables(config.ports.codeTablesFile),
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

  // The node key also signs sync messages and node-to-node calls (docs/sync.md).
  const sync = createSync({ ctx, issuance, signer: nodeSigner });

  const imports = createImportService(issuance);

  return { ctx, certificates, keys, sealCrypto, catalog, identity, objections, issuance, imports, sync };
}

export function routePlugins(s: Services): ((app: App) => void)[] {
  return [
    s.identity.routes,
    catalogRoutes(s.catalog, s.identity.auth),
    trustRoutes(s.catalog, s.identity.auth),
    objectionRoutes(s.objections, s.identity.auth),
    auditRoutes(s.ctx.store.db, s.identity.auth, s.certificates),
    issuanceRoutes(s.issuance, s.identity.auth),
    scheduleRoutes(s.issuance, s.identity.auth),
    lifecycleRoutes(s.issuance, s.identity.auth),
    importRoutes({ service: s.imports, db: s.ctx.store.db, blobs: s.ctx.blobs }, s.identity.auth),
    registerRoutes(
      { service: s.imports, db: s.ctx.store.db, blobs: s.ctx.blobs },
      s.issuance.codeTables,
      s.identity.auth,
    ),
    sharingRoutes(
      { issuance: s.issuance, ...(s.sync.federation ? { federation: s.sync.federation } : {}) },
      s.identity.auth,
      s.ctx.config.ports.rateLimits,
    ),
    syncRoutes(s.sync, s.identity.auth),
    (app) => webRoutes(app),
  ];
}

/**
 * The node's own SM2 key (signs 信息二维码 payloads, sync messages and node-to-node calls). Created once; its reference is kept in
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
