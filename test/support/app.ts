import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { StaffRole } from '../../src/domain/access.js';
import { type App, buildServer } from '../../src/http/server.js';
import * as catalogRepo from '../../src/modules/catalog/repository.js';
import { DEMO_STEPS } from '../../src/modules/demo/seed.js';
import { createServices, routePlugins, type Services } from '../../src/modules/services.js';
import { openTestStore, type TestStore } from './store.js';

/**
 * The whole application on a fresh database: real services (demo mode: development CA, simulated seal registry,
 * SMS and real-name simulators), the demo agencies and seals, and the HTTP server for inject()-style requests.
 */
export interface AppFixture {
  readonly store: TestStore;
  readonly services: Services;
  readonly app: App;
  readonly dataDir: string;
  readonly clock: { now: Date };
  agency(regionCode: string): Promise<catalogRepo.AgencyRow>;
  /**
   * A staff user and a bearer token for them. A sealing clerk's session is stepped up with the password (demo mode,
   * no TOTP) so suites that seal need not repeat it; `{ stepUp: false }` leaves it unelevated (test/api/step-up).
   */
  staff(
    regionCode: string,
    username: string,
    roles: StaffRole[],
    opts?: { stepUp?: boolean },
  ): Promise<{ token: string; userId: string; password: string }>;
  /** Holder session by ID number via the SMS simulator. */
  holder(name: string, idNumber: string): Promise<string>;
  close(): Promise<void>;
}

export const MASTER_KEY = '7f'.repeat(32);

/** `env`: extra configuration variables for this fixture (e.g. BDCERT_SHARE_RATE_LIMIT). */
export async function appFixture(o: { env?: NodeJS.ProcessEnv } = {}): Promise<AppFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bdcert-app-'));
  const store = await openTestStore();
  const config = loadConfig({
    DATA_DIR: dataDir,
    BASE_URL: 'https://bdc.example.gov.cn',
    BDCERT_MODE: 'demo',
    ...o.env,
  });
  const clock = { now: new Date('2026-11-20T02:00:00.000Z') };
  const services = await createServices(config, store, {
    env: { BDCERT_MASTER_KEY: MASTER_KEY },
    now: () => clock.now,
  });
  // Only the catalog step (agencies and seals); users are created per test.
  await DEMO_STEPS[0]!.run({ config, store, notes: [] });
  const app = await buildServer({ config, store, plugins: routePlugins(services), logger: false });
  await app.ready();
  const agency = async (regionCode: string) => {
    const all = await catalogRepo.listAgencies(store.db);
    return all.find((a) => a.region_code === regionCode)!;
  };
  return {
    store,
    services,
    app,
    dataDir,
    clock,
    agency,
    async staff(regionCode, username, roles, opts = {}) {
      const a = await agency(regionCode);
      const password = `Pw-${[...username].reverse().join('')}-2026-long!x`;
      const { user } = await services.identity.service.createStaffUser(
        { agencyId: a.id, username, displayName: username, roles, password },
        { kind: 'system', id: 'test' },
      );
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (r.statusCode !== 200) throw new Error(`login: ${r.body}`);
      const token = (r.json() as { token: string }).token;
      if (roles.includes('sealing-clerk') && opts.stepUp !== false) {
        // Issue 8: batch sealing needs an elevated session (POST /api/v1/auth/step-up, 5 minutes of the fixture clock).
        const s = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/step-up',
          headers: { authorization: `Bearer ${token}` },
          payload: { code: password },
        });
        if (s.statusCode !== 200) throw new Error(`step-up: ${s.body}`);
      }
      return { token, userId: user.id, password };
    },
    async holder(name, idNumber) {
      const s = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/holder/sms',
        payload: { name, idNumber, phone: '13812345678' },
      });
      if (s.statusCode !== 200) throw new Error(`holder sms: ${s.body}`);
      const { challengeId, demoCode } = s.json() as { challengeId: string; demoCode: string };
      const l = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/holder/login',
        payload: { challengeId, code: demoCode },
      });
      if (l.statusCode !== 200) throw new Error(`holder login: ${l.body}`);
      return (l.json() as { token: string }).token;
    },
    async close() {
      await app.close();
      await store.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });
