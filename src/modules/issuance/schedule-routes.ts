import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFoundError, requireStaff, staffPrincipal } from '../../http/auth.js';
import { EX, errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { SealingScheduleInput, setSealingSchedule } from './schedule.js';
import type { IssuanceDeps } from './service.js';

/**
 * `PATCH /api/v1/agencies/:agencyId/sealing` — an agency's sealing mode and times (Henan 三(一)5: twice a day, or in
 * real time where possible). The agency's administrator (or a province administrator); another agency is a 404.
 */
export function scheduleRoutes(deps: IssuanceDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.patch(
      '/api/v1/agencies/:agencyId/sealing',
      {
        schema: {
          tags: ['agencies'],
          summary: '设置签章方式与定时签章时间 / set the agency’s sealing mode and times',
          description:
            'mode：realtime 实时签章（登簿后即签）或 scheduled 定时签章（默认每天12:00、18:00，北京时间；至少每天2次）。变更记入审计日志并产生 agency.sealing-schedule-changed 事件；新的时间从下一次到点起生效，错过的到点在节点启动时补签。',
          params: z.object({ agencyId: z.uuid() }),
          body: SealingScheduleInput.meta({ example: { mode: 'scheduled', times: ['12:00', '18:00'] } }),
          response: {
            200: z
              .object({
                agencyId: z.uuid(),
                sealingMode: z.enum(['realtime', 'scheduled']),
                sealingTimes: z.array(z.string()),
              })
              .meta({ example: { agencyId: EX.agencyId, sealingMode: 'scheduled', sealingTimes: ['12:00', '18:00'] } }),
            ...errors(400, 401, 403, 404),
          },
        },
        preHandler: requireStaff('agency-admin', (req) => (req.params as { agencyId: string }).agencyId),
      },
      async (req) => {
        const p = staffPrincipal(req);
        if (!(await catalogRepo.findAgency(deps.ctx.store.db, req.params.agencyId))) throw notFoundError();
        const a = await setSealingSchedule(deps, req.params.agencyId, req.body, actorOf(p));
        return { agencyId: a.id, sealingMode: a.sealing_mode, sealingTimes: a.sealing_times };
      },
    );
  };
}
