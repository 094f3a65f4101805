import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { checkProofTypeCode, DEFAULT_PROOF_TYPE_CODE } from './domain/catalog.js';

/**
 * The one typed configuration of a bdcert process, read from environment variables.
 * An invalid value stops the process with a message naming the variable and the expected form.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  PORT: z.coerce
    .number({ error: 'an integer port number 0–65535' })
    .int('an integer port number 0–65535')
    .min(0, 'an integer port number 0–65535')
    .max(65535, 'an integer port number 0–65535')
    .default(8080),
  HOST: z.string().min(1, 'a host name or IP address, e.g. 127.0.0.1').default('127.0.0.1'),
  DATA_DIR: z.string().min(1, 'a directory path').default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a PostgreSQL URL such as postgres://user@host:5432/bdcert')
    .optional(),
  BASE_URL: z.url({ error: 'an absolute http(s) URL, e.g. https://bdc.example.gov.cn' }).optional(),
  BDCERT_MODE: z.enum(['demo', 'production'], { error: 'demo | production' }).default('demo'),
  BDCERT_ROLE: z.enum(['all', 'city', 'province'], { error: 'all | city | province' }).default('all'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: LOG_LEVELS.join(' | ') }).default('info'),
  DB_POOL_SIZE: z.coerce.number({ error: 'an integer 1–100' }).int().min(1).max(100).default(10),
  // Certificate render worker threads (src/documents/pool.ts); unset = one per core, 0 = on the calling thread.
  BDCERT_RENDER_WORKERS: z.coerce
    .number({ error: 'an integer 0–64 (0 renders on the main thread)' })
    .int('an integer 0–64 (0 renders on the main thread)')
    .min(0, 'an integer 0–64 (0 renders on the main thread)')
    .max(64, 'an integer 0–64 (0 renders on the main thread)')
    .optional(),
  // HTTP worker processes sharing the port (node:cluster); `auto` = one per core. More than one needs PostgreSQL:
  // the embedded PGlite belongs to one process.
  BDCERT_WORKERS: z
    .string()
    .regex(/^(auto|[1-9]|[1-5]\d|6[0-4])$/, 'auto or an integer 1–64 (HTTP worker processes)')
    .default('1'),
  // City → province synchronisation (docs/sync.md; Henan 三(一)6: cities push catalog and face data to the province).
  BDCERT_NODE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a node id of lower-case letters, digits and hyphens, e.g. city-4115')
    .optional(),
  BDCERT_NODE_NAME: z.string().min(1).max(100, 'a display name of at most 100 characters').optional(),
  BDCERT_PROVINCE_URL: z.url({ error: 'the province node URL, e.g. https://dzzz.hnzwfw.gov.cn' }).optional(),
  BDCERT_SYNC_TOKEN: z
    .string()
    .regex(/^bdc1\.[A-Za-z0-9._-]{20,200}$/, 'an enrolment token from the province (bdc1.…)')
    .optional(),
  BDCERT_SYNC_MODE: z.enum(['realtime', 'scheduled'], { error: 'realtime | scheduled' }).default('realtime'),
  BDCERT_SYNC_TIMES: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d(,([01]\d|2[0-3]):[0-5]\d)*$/, 'comma-separated HH:MM times, e.g. 12:00,18:00')
    .default('12:00,18:00'),
  BDCERT_SYNC_POLL_MS: z.coerce.number({ error: 'milliseconds 50–60000' }).int().min(50).max(60_000).default(500),
  BDCERT_SYNC_BATCH: z.coerce.number({ error: 'an integer 1–1000' }).int().min(1).max(1000).default(200),
  BDCERT_SYNC_RETRY_MAX_MS: z.coerce
    .number({ error: 'milliseconds 100–3600000' })
    .int()
    .min(100)
    .max(3_600_000)
    .default(60_000),
  BDCERT_SYNC_RECONCILE_MINUTES: z.coerce
    .number({ error: 'minutes 0–10080 (0 = only on demand)' })
    .int()
    .min(0)
    .max(10_080)
    .default(60),
  // Ports, keys and limits (issue 2 §2: one typed configuration; formerly read ad hoc where they were used).
  BDCERT_MASTER_KEY: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits (the 256-bit field-encryption master key)')
    .optional(),
  BDCERT_SIGNING_URL: z.url({ error: 'the signing server URL, e.g. https://sign.example.gov.cn' }).optional(),
  BDCERT_SEAL_REGISTRY_URL: z
    .url({ error: 'the national seal registry adapter URL, e.g. https://yz.example.gov.cn/api' })
    .optional(),
  BDCERT_PROOF_TYPE_CODE: z
    .string()
    .trim()
    .refine(
      (v) => checkProofTypeCode(v).length === 0,
      '21 characters: 11100000MB03271699 (自然资源部) + a 3-digit sequence, e.g. 11100000MB03271699002 or …022 (standards.md §1.4)',
    )
    .default(DEFAULT_PROOF_TYPE_CODE),
  BDCERT_SHARE_RATE_LIMIT: z.coerce
    .number({ error: 'requests per minute per institution client, an integer 1–1000000000' })
    .int('requests per minute per institution client, an integer 1–1000000000')
    .min(1, 'requests per minute per institution client, an integer 1–1000000000')
    .max(1e9, 'requests per minute per institution client, an integer 1–1000000000')
    .default(120),
  BDCERT_PUBLIC_RATE_LIMIT: z.coerce
    .number({ error: 'requests per minute per address on public verification, an integer 1–1000000000' })
    .int('requests per minute per address on public verification, an integer 1–1000000000')
    .min(1, 'requests per minute per address on public verification, an integer 1–1000000000')
    .max(1e9, 'requests per minute per address on public verification, an integer 1–1000000000')
    .default(600),
  BDCERT_SMS_URL: z.url({ error: 'the SMS gateway URL, e.g. https://sms.example.gov.cn/send' }).optional(),
  BDCERT_SMS_TOKEN: z.string().trim().min(8, 'a bearer token of at least 8 characters').optional(),
  BDCERT_REALNAME_URL: z
    .url({ error: 'the real-name verification URL, e.g. https://idv.example.gov.cn/check' })
    .optional(),
  BDCERT_REALNAME_TOKEN: z.string().trim().min(8, 'a bearer token of at least 8 characters').optional(),
  BDCERT_CODE_TABLES: z.string().trim().min(1, 'the path of a code-table override JSON file').optional(),
});

/** Variables whose value is never printed, not even in a configuration error. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'BDCERT_MASTER_KEY',
  'BDCERT_SMS_TOKEN',
  'BDCERT_REALNAME_TOKEN',
  'BDCERT_SYNC_TOKEN',
]);

/** A secret configuration value: `reveal()` gives it; logging, JSON and inspection show `[redacted]`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** External systems (DESIGN.md “External systems”: an HTTP adapter configured by URL, else the simulator in demo). */
export interface PortsConfig {
  /** Field-encryption master key (64 hex digits); demo mode generates one under DATA_DIR when unset. */
  readonly masterKey: Secret | undefined;
  /** Signing server (remote key store); unset = the local encrypted key store under DATA_DIR. */
  readonly signingUrl: string | undefined;
  readonly sealRegistryUrl: string | undefined;
  readonly sms: { readonly url: string | undefined; readonly token: Secret | undefined };
  readonly realName: { readonly url: string | undefined; readonly token: Secret | undefined };
  /** 不动产登记证明 证照类型代码 (standards.md §1.4). */
  readonly proofTypeCode: string;
  readonly rateLimits: { readonly sharePerMinute: number; readonly publicPerMinute: number };
  /** Code-table override file (issue 3 §3), validated at start. */
  readonly codeTablesFile: string | undefined;
}

const PORT_VARIABLES = [
  'BDCERT_MASTER_KEY',
  'BDCERT_SIGNING_URL',
  'BDCERT_SEAL_REGISTRY_URL',
  'BDCERT_PROOF_TYPE_CODE',
  'BDCERT_SHARE_RATE_LIMIT',
  'BDCERT_PUBLIC_RATE_LIMIT',
  'BDCERT_SMS_URL',
  'BDCERT_SMS_TOKEN',
  'BDCERT_REALNAME_URL',
  'BDCERT_REALNAME_TOKEN',
  'BDCERT_CODE_TABLES',
] as const;
type PortVariable = (typeof PORT_VARIABLES)[number];

const portsSchema = schema.pick(
  Object.fromEntries(PORT_VARIABLES.map((k) => [k, true])) as { [K in PortVariable]: true },
);

function portsOf(c: z.infer<typeof portsSchema>): PortsConfig {
  const secret = (v: string | undefined) => (v === undefined ? undefined : new Secret(v));
  return {
    masterKey: secret(c.BDCERT_MASTER_KEY),
    signingUrl: c.BDCERT_SIGNING_URL,
    sealRegistryUrl: c.BDCERT_SEAL_REGISTRY_URL,
    sms: { url: c.BDCERT_SMS_URL, token: secret(c.BDCERT_SMS_TOKEN) },
    realName: { url: c.BDCERT_REALNAME_URL, token: secret(c.BDCERT_REALNAME_TOKEN) },
    proofTypeCode: c.BDCERT_PROOF_TYPE_CODE,
    rateLimits: { sharePerMinute: c.BDCERT_SHARE_RATE_LIMIT, publicPerMinute: c.BDCERT_PUBLIC_RATE_LIMIT },
    codeTablesFile: c.BDCERT_CODE_TABLES ? resolve(c.BDCERT_CODE_TABLES) : undefined,
  };
}

/** Only the port variables of `env` (adapters' `*FromEnv` helpers, tests); invalid values throw ConfigError. */
export function portsFromEnv(env: NodeJS.ProcessEnv): PortsConfig {
  return portsOf(parseVariables(portsSchema, env));
}

/**
 * The configuration with the port variables present in `env` replacing those of `config` (a test or bench passes e.g.
 * its own BDCERT_MASTER_KEY to createServices); validated like the rest.
 */
export function withEnvOverrides(config: Config, env: NodeJS.ProcessEnv): Config {
  const given = new Set(PORT_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== ''));
  if (given.size === 0) return config;
  const p = portsFromEnv(env);
  const o = config.ports;
  const pick = <T>(k: PortVariable, mine: T, theirs: T): T => (given.has(k) ? mine : theirs);
  return {
    ...config,
    ports: {
      masterKey: pick('BDCERT_MASTER_KEY', p.masterKey, o.masterKey),
      signingUrl: pick('BDCERT_SIGNING_URL', p.signingUrl, o.signingUrl),
      sealRegistryUrl: pick('BDCERT_SEAL_REGISTRY_URL', p.sealRegistryUrl, o.sealRegistryUrl),
      sms: {
        url: pick('BDCERT_SMS_URL', p.sms.url, o.sms.url),
        token: pick('BDCERT_SMS_TOKEN', p.sms.token, o.sms.token),
      },
      realName: {
        url: pick('BDCERT_REALNAME_URL', p.realName.url, o.realName.url),
        token: pick('BDCERT_REALNAME_TOKEN', p.realName.token, o.realName.token),
      },
      proofTypeCode: pick('BDCERT_PROOF_TYPE_CODE', p.proofTypeCode, o.proofTypeCode),
      rateLimits: {
        sharePerMinute: pick('BDCERT_SHARE_RATE_LIMIT', p.rateLimits.sharePerMinute, o.rateLimits.sharePerMinute),
        publicPerMinute: pick('BDCERT_PUBLIC_RATE_LIMIT', p.rateLimits.publicPerMinute, o.rateLimits.publicPerMinute),
      },
      codeTablesFile: pick('BDCERT_CODE_TABLES', p.codeTablesFile, o.codeTablesFile),
    },
  };
}

function parseVariables<S extends z.ZodObject>(s: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings count as unset, as in most deployment tools.
  const raw = Object.fromEntries(Object.keys(s.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = s.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const variable = String(i.path[0]);
        const got = env[variable];
        // A secret is never echoed back, not even a wrong one (it may be a real key put in the wrong variable).
        return {
          variable,
          expected: i.message,
          got: SECRET_VARIABLES.has(variable) && got ? `<hidden: ${got.length} characters>` : got,
        };
      }),
    );
  }
  return parsed.data;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly baseUrl: string;
  readonly mode: 'demo' | 'production';
  readonly role: 'all' | 'city' | 'province';
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly dbPoolSize: number;
  /** Render worker threads (BDCERT_RENDER_WORKERS); undefined = one per core, 0 = on the calling thread. */
  readonly renderWorkers: number | undefined;
  /** HTTP worker processes (BDCERT_WORKERS): 1 = this process serves; more = a cluster (src/cli/cluster.ts). */
  readonly workers: number;
  readonly sync: SyncConfig;
  /** Ports, keys and limits (PortsConfig). */
  readonly ports: PortsConfig;
}

/** City → province synchronisation settings (docs/sync.md). */
export interface SyncConfig {
  /** This node's id in the federation: `local` for `all`, `province` by default for a province, required for a city. */
  readonly nodeId: string;
  readonly nodeName: string;
  /** A city's province node (used by `bdcert sync join` and the automatic join at start). */
  readonly provinceUrl: string | undefined;
  /** One-time enrolment token: a city joins its province at start when it has not joined yet. */
  readonly enrolmentToken: string | undefined;
  /** realtime: push as events commit; scheduled: push at `times` (China Standard Time), Henan “at least twice a day”. */
  readonly mode: 'realtime' | 'scheduled';
  readonly times: readonly string[];
  readonly pollMs: number;
  readonly batchSize: number;
  readonly retryMaxMs: number;
  /** Reconciliation interval in minutes; 0 = only on demand (`bdcert sync reconcile`, the API). */
  readonly reconcileMinutes: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; expected: string; got: string | undefined }[]) {
    super(
      `配置无效 / invalid configuration:\n${issues
        .map((i) => `  ${i.variable}=${JSON.stringify(i.got ?? '')}: expected ${i.expected}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const c = parseVariables(schema, env);
  if (c.BDCERT_MODE === 'production' && !c.BASE_URL) {
    throw new ConfigError([
      {
        variable: 'BASE_URL',
        expected: 'the public https URL printed in QR codes (required in production)',
        got: undefined,
      },
    ]);
  }
  const nodeId =
    c.BDCERT_NODE_ID ?? (c.BDCERT_ROLE === 'all' ? 'local' : c.BDCERT_ROLE === 'province' ? 'province' : '');
  if (!nodeId) {
    throw new ConfigError([
      {
        variable: 'BDCERT_NODE_ID',
        expected: 'the id of this city node in the federation, e.g. city-4115 (required when BDCERT_ROLE=city)',
        got: undefined,
      },
    ]);
  }
  const workers = c.BDCERT_WORKERS === 'auto' ? availableParallelism() : Number(c.BDCERT_WORKERS);
  if (workers > 1 && !c.DATABASE_URL) {
    throw new ConfigError([
      {
        variable: 'BDCERT_WORKERS',
        expected: '1 with the embedded database (PGlite serves one process); set DATABASE_URL to run several workers',
        got: c.BDCERT_WORKERS,
      },
    ]);
  }
  const host = c.HOST === '0.0.0.0' || c.HOST === '::' ? '127.0.0.1' : c.HOST;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: resolve(c.DATA_DIR),
    databaseUrl: c.DATABASE_URL,
    baseUrl: (c.BASE_URL ?? `http://${host}:${c.PORT}`).replace(/\/+$/, ''),
    mode: c.BDCERT_MODE,
    role: c.BDCERT_ROLE,
    logLevel: c.LOG_LEVEL,
    dbPoolSize: c.DB_POOL_SIZE,
    renderWorkers: c.BDCERT_RENDER_WORKERS,
    workers,
    sync: {
      nodeId,
      nodeName: c.BDCERT_NODE_NAME ?? nodeId,
      provinceUrl: c.BDCERT_PROVINCE_URL?.replace(/\/+$/, ''),
      enrolmentToken: c.BDCERT_SYNC_TOKEN,
      mode: c.BDCERT_SYNC_MODE,
      times: c.BDCERT_SYNC_TIMES.split(','),
      pollMs: c.BDCERT_SYNC_POLL_MS,
      batchSize: c.BDCERT_SYNC_BATCH,
      retryMaxMs: c.BDCERT_SYNC_RETRY_MAX_MS,
      reconcileMinutes: c.BDCERT_SYNC_RECONCILE_MINUTES,
    },
    ports: portsOf(c),
  };
}
