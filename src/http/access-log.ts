import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Every successful response of this route is an audit entry already (actor, address, request id, time, object),
     * so its access-log line would only repeat it: successes are not access-logged, failures (4xx, 5xx) still are.
     */
    auditedAccess?: boolean;
  }
}

/**
 * One access-log line per request, written when it completes: method, URL, client address, status, time and the
 * request id. Fastify's default also writes an "incoming request" line first, which doubles the log volume — the JSON
 * encoding, redaction and write of a line are a measurable share of a cheap request such as public verification
 * (docs/verification.md) — and says nothing the completion line does not. A request that fails is still logged, at
 * error level with its error.
 */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(req)) return;
    if (error) reply.log.error({ req, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else if (reply.statusCode < 400 && req.routeOptions.config.auditedAccess) return;
    else reply.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
