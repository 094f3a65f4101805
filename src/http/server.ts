import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { core } from 'zod';
import type { Config } from '../config.js';
import { DomainError } from '../domain/problem.js';
import { zodIssuesToProblems } from '../domain/zod-problems.js';
import type { Store } from '../store/database.js';
import { AccessLog } from './access-log.js';
import { API_ERRORS, ApiError, type ApiErrorCode, DEFAULT_MESSAGES, type ErrorEnvelope } from './errors.js';
import { REDACTED, scrubLogLine } from './redact.js';
import { healthRoutes } from './routes/health.js';

export type App = FastifyInstance;

export interface ServerDeps {
  readonly config: Config;
  readonly store: Store;
  /** Extra route plugins (modules register theirs here; tests add probes). */
  readonly plugins?: readonly ((app: App) => Promise<void> | void)[];
  /** Logger options; `false` silences (tests). */
  readonly logger?: FastifyServerOptions['logger'];
  /** A ready pino logger shared with the services (takes precedence over `logger`). */
  readonly loggerInstance?: Logger;
  /** Sees every route as it is added (the OpenAPI completeness test walks the app's own route table with it). */
  readonly onRoute?: (route: RouteOptions) => void;
}

/**
 * Paths pino removes before serialising (the headers that carry credentials, and the usual places of personal data a
 * level or two down). They are the fast path only: every finished line also goes through `scrubLogLine`, which removes
 * credentials, one-time codes, ID numbers and names at any depth (issue 7 §7: masked in lists and logs).
 */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.idNumber',
  '*.secret',
];

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The process logger: JSON lines (stdout unless `destination` is given — tests capture it), secrets and personal data
 * redacted at any depth.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: LOG_REDACT, censor: REDACTED },
    hooks: { streamWrite: scrubLogLine },
  };
  return destination ? pino(options, destination) : pino(options);
}

export async function buildServer(deps: ServerDeps): Promise<App> {
  const app = Fastify({
    // Fastify 5 takes a ready pino instance only as `loggerInstance`; `logger` is for options (or false in tests).
    ...(deps.loggerInstance
      ? { loggerInstance: deps.loggerInstance }
      : deps.logger !== undefined
        ? { logger: deps.logger }
        : { loggerInstance: createLogger(deps.config.logLevel) }),
    // A caller's id is kept when it is well-formed (so a gateway's id follows the request), otherwise we mint one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new AccessLog({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 50 * 1024 * 1024,
    // SIGTERM: stop accepting, let in-flight requests finish, close idle keep-alive sockets.
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const onRoute = deps.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Graceful stop: a response finished while closing tells the client to drop the keep-alive socket, so close()
  // is not held up by idle connections of clients that were served during shutdown.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setErrorHandler((error, req, reply) => {
    const err = error as FastifyError;
    const send = (status: number, body: ErrorEnvelope) => reply.status(status).send(body);
    const envelope = (
      code: ApiErrorCode | string,
      message: string,
      messageEn: string,
      field?: string,
      problems?: ErrorEnvelope['error']['problems'],
    ): ErrorEnvelope => ({
      error: {
        code,
        message,
        messageEn,
        ...(field ? { field } : {}),
        requestId: req.id,
        ...(problems?.length ? { problems } : {}),
      },
    });

    if (hasZodFastifySchemaValidationErrors(err)) {
      const part = err.validationContext ?? 'body';
      const problems = zodIssuesToProblems(
        err.validation.map(
          (v) =>
            ({
              ...v.params,
              code: v.keyword,
              message: v.message ?? '',
              path: v.instancePath
                .split('/')
                .filter(Boolean)
                .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg)),
            }) as unknown as core.$ZodIssue,
        ),
        part === 'body' ? undefined : part,
      );
      const first = problems[0];
      return send(
        400,
        envelope(
          'VALIDATION_FAILED',
          first ? `${first.field ? `${first.field}：` : ''}${first.message}` : DEFAULT_MESSAGES.VALIDATION_FAILED[0],
          first ? `${first.field ? `${first.field}: ` : ''}${first.messageEn}` : DEFAULT_MESSAGES.VALIDATION_FAILED[1],
          first?.field,
          problems,
        ),
      );
    }
    if (err instanceof ApiError) {
      return send(err.status, envelope(err.code, err.message, err.messageEn, err.field, err.problems));
    }
    if (err instanceof DomainError) {
      return send(422, envelope(err.code, err.message, err.messageEn, err.field, err.problems));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'unhandled error');
      const [zh, en] = DEFAULT_MESSAGES.INTERNAL;
      return send(500, envelope('INTERNAL', zh, en));
    }
    // Fastify's own 4xx (bad JSON, too large, unsupported content type …): map to our codes.
    const code: ApiErrorCode =
      status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : status === 404
            ? 'NOT_FOUND'
            : status === 429
              ? 'RATE_LIMITED'
              : 'BAD_REQUEST';
    const [zh, en] = DEFAULT_MESSAGES[code];
    return send(API_ERRORS[code] === status ? status : 400, envelope(code, zh, `${en}: ${err.message}`));
  });

  app.setNotFoundHandler((req, reply) => {
    const [zh, en] = DEFAULT_MESSAGES.NOT_FOUND;
    const body: ErrorEnvelope = { error: { code: 'NOT_FOUND', message: zh, messageEn: en, requestId: req.id } };
    return reply.status(404).send(body);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'bdcert 不动产登记电子证照 API',
        description:
          '不动产登记电子证照的签发、领用、共享与核验接口。Real-estate registration e-certificate issuance, collection, sharing and verification.\n\n所有错误使用统一结构 / every error uses one envelope: `{"error": {"code", "message", "messageEn", "field", "requestId"}}`.',
        version: '0.1.0',
      },
      servers: [{ url: deps.config.baseUrl }],
      tags: [{ name: 'system', description: '系统状态 / health and readiness' }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  await app.register(healthRoutes(deps.store));
  for (const plugin of deps.plugins ?? []) await app.register(async (scope) => plugin(scope as unknown as App));

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app as unknown as App;
}
