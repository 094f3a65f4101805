import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { StaffRole } from '../../src/domain/access.js';
import { type App, buildServer } from '../../src/http/server.js';
import * as catalogRepo from '../../src/modules/catalog/repository.js';
import { DEMO_STEPS } from '../../src/modules/demo/seed.js';
import { createServices, routePlugins, type Services } from '../../src/modules/services.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { openTestStore, type TestStore } from '../support/store.js';

/**
 * A bdcert node inside the test process, listening on a real loopback port so other nodes reach it over HTTP: its
 * own database (in-memory PGlite, or a fresh PostgreSQL database), data directory, master key and node key.
 */
export interface SyncNode {
  readonly store: TestStore;
  readonly services: Services;
  readonly app: App;
  readonly url: string;
  readonly dataDir: string;
  agency(regionCode: string): Promise<catalogRepo.AgencyRow>;
  staff(regionCode: string, username: string, roles: StaffRole[]): Promise<string>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function syncNode(o: {
  role: 'all' | 'city' | 'province';
  nodeId: string;
  masterKey: string;
  env?: Record<string, string>;
}): Promise<SyncNode> {
  const dataDir = mkdtempSync(join(tmpdir(), `bdcert-sync-${o.nodeId}-`));
  const store = await openTestStore();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    DATA_DIR: dataDir,
    BASE_URL: url,
    BDCERT_MODE: 'demo',
    BDCERT_ROLE: o.role,
    BDCERT_NODE_ID: o.nodeId,
    BDCERT_SYNC_POLL_MS: '100',
    BDCERT_SYNC_RETRY_MAX_MS: '1000',
    BDCERT_SYNC_RECONCILE_MINUTES: '0',
    ...o.env,
  });
  const services = await createServices(config, store, { env: { BDCERT_MASTER_KEY: o.masterKey } });
  await DEMO_STEPS[0]!.run({ config, store, notes: [] });
  const app = await buildServer({ config, store, plugins: routePlugins(services), logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  await services.sync.start({ baseUrl: url });
  const agency = async (regionCode: string) =>
    (await catalogRepo.listAgencies(store.db)).find((a) => a.region_code === regionCode)!;
  return {
    store,
    services,
    app,
    url,
    dataDir,
    agency,
    async staff(regionCode, username, roles) {
      const a = await agency(regionCode);
      const password = `Pw-${[...username].reverse().join('')}-2026-long!x`;
      await services.identity.service.createStaffUser(
        { agencyId: a.id, username, displayName: username, roles, password },
        { kind: 'system', id: 'test' },
      );
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (r.statusCode !== 200) throw new Error(`login: ${r.body}`);
      return (r.json() as { token: string }).token;
    },
    async close() {
      await services.sync.stop();
      await app.close();
      await store.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A register entry producing a property certificate for `holder` on a fresh unit of the agency's region. */
export function entry(o: {
  businessNo: string;
  regionCode: string;
  agencyName: string;
  agencyCode: string;
  n: number;
  holder?: { name: string; idNumber: string };
}) {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
  const unitNo = `${o.regionCode}001002GB${String(o.n).padStart(5, '0')}F00010203`;
  return {
    businessNo: o.businessNo,
    registrationType: '100',
    recordedAt: '2026-11-20T10:00:00+08:00',
    unitNo,
    location: P.location,
    face: {
      ...rest,
      agencyName: o.agencyName,
      agencyCode: o.agencyCode,
      coOwnership: '单独所有',
      holders: [
        {
          name: o.holder?.name ?? '张三',
          idType: '111',
          idNumber: o.holder?.idNumber ?? '11010519491231002X',
          holderType: '1',
        },
      ],
      unitNo,
    },
  };
}

export async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
