import { resolve } from 'node:path';
import { z } from 'zod';

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
});

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
  // Empty strings count as unset, as in most deployment tools.
  const raw = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const variable = String(i.path[0]);
        return { variable, expected: i.message, got: env[variable] };
      }),
    );
  }
  const c = parsed.data;
  if (c.BDCERT_MODE === 'production' && !c.BASE_URL) {
    throw new ConfigError([
      {
        variable: 'BASE_URL',
        expected: 'the public https URL printed in QR codes (required in production)',
        got: undefined,
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
  };
}
