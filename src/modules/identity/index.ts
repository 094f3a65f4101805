import { type Config, withEnvOverrides } from '../../config.js';
import { authPlugin } from '../../http/auth.js';
import type { App } from '../../http/server.js';
import type { Store } from '../../store/database.js';
import type { FieldCrypto } from '../context.js';
import { type RealNamePort, realNamePort } from '../integrations/realname/realname.js';
import { type SmsPort, smsPort } from '../integrations/sms/sms.js';
import type { IdentityPolicy } from './deps.js';
import { adminAgreementRoutes } from './routes/admin-agreements.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { holderAuthRoutes } from './routes/auth-holder.js';
import { staffAuthRoutes } from './routes/auth-staff.js';
import { IdentityService } from './service.js';

export { IdentityService } from './service.js';

export interface IdentityModuleOptions {
  readonly config: Config;
  readonly store: Store;
  readonly fieldCrypto: FieldCrypto;
  readonly now?: () => Date;
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Ports; default from the configuration (BDCERT_SMS_URL, BDCERT_REALNAME_URL), simulators in demo mode. */
  readonly sms?: SmsPort;
  readonly realName?: RealNamePort;
  readonly policy?: Partial<IdentityPolicy>;
  /** Port variables overriding the configuration's (tests). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface IdentityModule {
  readonly service: IdentityService;
  /** Register in every route scope that needs `req.principal` (before its routes). */
  readonly auth: (app: App) => void;
  /** The identity routes (/api/v1/auth/*, /api/v1/admin/users, /api/v1/admin/agreements); they include `auth`. */
  readonly routes: (app: App) => void;
}

export function createIdentity(o: IdentityModuleOptions): IdentityModule {
  const ports = (o.env ? withEnvOverrides(o.config, o.env) : o.config).ports;
  const service = new IdentityService({
    db: o.store.db,
    fieldCrypto: o.fieldCrypto,
    now: o.now ?? (() => new Date()),
    mode: o.config.mode,
    sms: o.sms ?? smsPort(o.config.mode, ports.sms, o.log),
    realName: o.realName ?? realNamePort(o.config.mode, ports.realName, o.log),
    ...(o.log ? { log: o.log } : {}),
    ...(o.policy ? { policy: o.policy } : {}),
  });
  const secure = o.config.baseUrl.startsWith('https://');
  const auth = authPlugin(service);
  return {
    service,
    auth,
    routes: (app) => {
      auth(app);
      staffAuthRoutes(service, secure)(app);
      holderAuthRoutes(service, secure)(app);
      adminUserRoutes(service)(app);
      adminAgreementRoutes(service)(app);
    },
  };
}
