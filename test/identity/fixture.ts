import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { generateSync } from 'otplib';
import { loadConfig } from '../../src/config.js';
import type { StaffRole } from '../../src/domain/access.js';
import { type App, buildServer } from '../../src/http/server.js';
import { createIdentity, type IdentityModule } from '../../src/modules/identity/index.js';
import { RealNameSimulator } from '../../src/modules/integrations/realname/realname.js';
import { SmsSimulator } from '../../src/modules/integrations/sms/sms.js';
import { createFieldCrypto } from '../../src/modules/privacy/field-crypto.js';
import { openTestStore, type TestStore } from '../support/store.js';

/** A server with the identity routes on a fresh database, two agencies, and a clock the test moves. */
export interface IdentityFixture {
  readonly store: TestStore;
  readonly app: App;
  readonly identity: IdentityModule;
  readonly sms: SmsSimulator;
  readonly clock: { now: Date };
  readonly agencyA: string;
  readonly agencyB: string;
  addUser(agencyId: string, username: string, roles: StaffRole[], opts?: { totp?: boolean }): Promise<TestUser>;
  /** Signs in (password, then TOTP when enrolled) and returns the bearer token. */
  login(u: TestUser): Promise<string>;
  totp(u: TestUser, offsetSteps?: number): string;
  close(): Promise<void>;
}

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly totpSecret?: string;
}

export async function insertAgency(store: TestStore, name: string, uscc: string, region: string): Promise<string> {
  const id = randomUUID();
  await sql`insert into agencies (id, name, uscc, region_code, level, province_abbr, city_county_name, seal_name)
    values (${id}, ${name}, ${uscc}, ${region}, 'county', '豫', ${name.replace('不动产登记中心', '')},
    ${`${name}专用章`})`.execute(store.db);
  return id;
}

export async function identityFixture(
  opts: { mode?: 'demo' | 'production'; plugins?: (identity: IdentityModule) => ((app: App) => void)[] } = {},
): Promise<IdentityFixture> {
  const store = await openTestStore();
  const config = loadConfig({ BDCERT_MODE: opts.mode ?? 'demo', BASE_URL: 'https://bdc.example.gov.cn' });
  const clock = { now: new Date('2026-11-22T08:00:00.000Z') };
  const sms = new SmsSimulator();
  const identity = createIdentity({
    config,
    store,
    fieldCrypto: createFieldCrypto(Buffer.alloc(32, 9)),
    now: () => clock.now,
    sms,
    realName: new RealNameSimulator(),
  });
  const app = await buildServer({
    config,
    store,
    plugins: [identity.routes, ...(opts.plugins?.(identity) ?? [])],
    logger: false,
  });
  const agencyA = await insertAgency(store, '潢川县不动产登记中心', '12411526MB0000001A', '411526');
  const agencyB = await insertAgency(store, '光山县不动产登记中心', '12411522MB0000002B', '411522');
  const totp = (u: TestUser, offsetSteps = 0) =>
    generateSync({ secret: u.totpSecret ?? '', epoch: Math.floor(clock.now.getTime() / 1000) + offsetSteps * 30 });
  return {
    store,
    app,
    identity,
    sms,
    clock,
    agencyA,
    agencyB,
    async addUser(agencyId, username, roles, o = {}) {
      const password = `Pw-${[...username].reverse().join('')}-2026!x`;
      const { user } = await identity.service.createStaffUser(
        { agencyId, username, displayName: `测试${username}`, roles, password },
        { kind: 'system', id: 'test' },
      );
      if (!o.totp) return { id: user.id, username, password };
      // Enrol through the service as the user would.
      const half = await identity.service.loginStaff({ username, password }, {});
      const p = await identity.service.principalForToken(half.token);
      if (!p) throw new Error('no principal');
      const { secret } = await identity.service.beginTotpEnrolment(p, {});
      const u = { id: user.id, username, password, totpSecret: secret };
      await identity.service.verifyStaffTotp(p, totp(u), {});
      clock.now = new Date(clock.now.getTime() + 30_000); // next code is a new time step
      return u;
    },
    async login(u) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: u.username, password: u.password },
      });
      if (r.statusCode !== 200) throw new Error(`login ${r.statusCode} ${r.body}`);
      const body = r.json() as { token: string; next: string };
      if (body.next !== 'totp') return body.token;
      const t = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/totp',
        headers: { authorization: `Bearer ${body.token}` },
        payload: { code: totp(u) },
      });
      if (t.statusCode !== 200) throw new Error(`totp ${t.statusCode} ${t.body}`);
      clock.now = new Date(clock.now.getTime() + 30_000);
      return (t.json() as { token: string }).token;
    },
    totp,
    async close() {
      await app.close();
      await store.dispose();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
