import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuthenticated, requireStaff } from '../../http/auth.js';
import { errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import type { ObjectionService, ObjectionView } from './service.js';

const Status = z
  .enum(['submitted', 'processing', 'resolved', 'rejected'])
  .meta({ description: 'submitted 已提交、processing 核实中、resolved 已办结（已更正或确认无误）、rejected 已驳回' });

/** The sample objection: a holder disputes the area on the sample certificate. */
const EX_OBJECTION = {
  id: '3a7e8f10-2b4c-4d5e-8f90-1a2b3c4d5e6f',
  certificateId: '11100000MB0143028R0141152620260000012',
  issuingAgencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
  filerKind: 'holder',
  reason: '证照记载的建筑面积与不动产登记簿不一致',
  status: 'resolved',
  outcome: '经核实登簿面积为 98.56 平方米，已更正并重新签发',
  createdAt: '2026-11-20T02:00:00.000Z',
  updatedAt: '2026-11-21T06:30:00.000Z',
  closedAt: '2026-11-21T06:30:00.000Z',
};

const ObjectionSchema = z
  .object({
    id: z.uuid(),
    certificateId: z.string(),
    issuingAgencyId: z.uuid(),
    filerKind: z.enum(['holder', 'institution', 'staff']),
    reason: z.string(),
    status: Status,
    outcome: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    closedAt: z.iso.datetime().nullable(),
  })
  .meta({ example: EX_OBJECTION });

const out = (v: ObjectionView) => ({
  ...v,
  createdAt: v.createdAt.toISOString(),
  updatedAt: v.updatedAt.toISOString(),
  closedAt: v.closedAt?.toISOString() ?? null,
});

/**
 * 异议 routes (Nanyang Art. 16). Register `auth` (the identity module's plugin) in the same scope first.
 */
export function objectionRoutes(service: ObjectionService, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['objections'];
    const meta = (req: { ip: string; id: string }) => ({ ip: req.ip, requestId: req.id });
    const IdParams = z.object({ id: z.uuid() });

    r.post(
      '/api/v1/objections',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags,
          summary: '对电子证照信息提出异议（向签发单位）/ file an objection with the issuing agency',
          body: z
            .object({
              certificateId: z.string().min(1).max(64).meta({ description: '电子证照标识' }),
              reason: z.string().trim().min(5).max(2000).meta({ description: '异议内容' }),
              contact: z.string().trim().max(100).optional().meta({ description: '联系方式（加密存储）' }),
            })
            .meta({
              example: {
                certificateId: '11100000MB0143028R0141152620260000012',
                reason: '证照记载的建筑面积与不动产登记簿不一致',
                contact: '13812345678',
              },
            }),
          response: { 201: ObjectionSchema, ...errors(400, 401, 403) },
        },
      },
      async (req, reply) => {
        if (!req.principal) throw new Error('guarded');
        return reply.status(201).send(out(await service.file(req.principal, req.body, meta(req))));
      },
    );

    r.get(
      '/api/v1/objections',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags,
          summary: '异议列表（机构：本机构收到的；其他：本人提出的）/ objections (agency: received; others: filed)',
          querystring: z.object({ agencyId: z.uuid().optional(), status: Status.optional() }),
          response: { 200: z.object({ items: z.array(ObjectionSchema) }), ...errors(400, 401, 403) },
        },
      },
      async (req) => {
        if (!req.principal) throw new Error('guarded');
        const { agencyId, status } = req.query;
        const items = await service.list(req.principal, {
          ...(agencyId ? { agencyId } : {}),
          ...(status ? { status } : {}),
        });
        return { items: items.map(out) };
      },
    );

    r.get(
      '/api/v1/objections/:id',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags,
          summary: '异议详情 / one objection',
          params: IdParams,
          response: {
            200: ObjectionSchema.extend({ contact: z.string().nullable() }).meta({
              example: { ...EX_OBJECTION, contact: '13812345678' },
            }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req) => {
        if (!req.principal) throw new Error('guarded');
        const v = await service.get(req.principal, req.params.id);
        return { ...out(v), contact: v.contact };
      },
    );

    r.patch(
      '/api/v1/objections/:id',
      {
        preHandler: requireStaff(['registrar', 'agency-admin']),
        schema: {
          tags,
          summary: '处理异议（核实、办结或驳回）/ handle an objection',
          params: IdParams,
          body: z
            .object({ status: Status, outcome: z.string().trim().max(2000).optional() })
            .meta({ example: { status: 'resolved', outcome: '经核实登簿面积为 98.56 平方米，已更正并重新签发' } }),
          response: { 200: ObjectionSchema, ...errors(400, 401, 403, 404) },
        },
      },
      async (req) => {
        if (!req.principal) throw new Error('guarded');
        const { status, outcome } = req.body;
        return out(
          await service.decide(req.principal, req.params.id, { status, ...(outcome ? { outcome } : {}) }, meta(req)),
        );
      },
    );
  };
}
