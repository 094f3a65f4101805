import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Store } from '../../store/database.js';
import { ApiError } from '../errors.js';
import { errors } from '../openapi.js';

const Health = z.object({ status: z.literal('ok') }).meta({ example: { status: 'ok' } });
const Ready = z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) });

/** `/healthz`: the process is alive. `/readyz`: the database answers (load balancers route only to ready nodes). */
export function healthRoutes(store: Store): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/healthz',
      { schema: { tags: ['system'], summary: '存活检查 / liveness', response: { 200: Health } } },
      async () => ({ status: 'ok' as const }),
    );
    r.get(
      '/readyz',
      {
        schema: {
          tags: ['system'],
          summary: '就绪检查（数据库可达）/ readiness (database reachable)',
          response: { 200: Ready, ...errors(503) },
        },
      },
      async () => {
        if (!(await store.ping())) throw new ApiError('NOT_READY', '数据库不可达', 'Database unreachable');
        return { status: 'ready' as const, database: store.kind };
      },
    );
  };
}
