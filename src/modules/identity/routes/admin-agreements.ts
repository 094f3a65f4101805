import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SHARE_INTERFACES } from '../../../domain/access.js';
import { requireStaff, staffPrincipal } from '../../../http/auth.js';
import { errors, noContent } from '../../../http/openapi.js';
import type { App } from '../../../http/server.js';
import { actorOf } from '../../audit/audit.js';
import type { IdentityService } from '../service.js';
import { meta } from './common.js';

/** The agreement the examples of the create and list operations show (a bank's 共享协议). */
const EX_AGREEMENT = {
  agreementNo: 'HCGX-2026-001',
  institutionName: '中国工商银行潢川支行',
  institutionUscc: '91411526MA44ABCD1Y',
  certificateTypes: ['11100000MB0143028R01'],
  interfaces: ['search', 'download', 'verify'],
  regionCodes: ['411526'],
  validFrom: '2026-01-01T00:00:00.000Z',
  validUntil: '2028-12-31T16:00:00.000Z',
};

/**
 * Sharing agreements and their API clients (Sichuan Art. 16: sharing only after a signed agreement; Henan 三(一)7:
 * the four interfaces). Province administrators register them.
 */
export function adminAgreementRoutes(identity: IdentityService): (app: App) => void {
  return (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['admin'];
    r.post(
      '/api/v1/admin/agreements',
      {
        preHandler: requireStaff('province-admin'),
        schema: {
          tags,
          summary: '登记共享协议 / register a sharing agreement',
          body: z
            .object({
              agreementNo: z.string().trim().min(1).max(64).meta({ description: '协议编号' }),
              institutionName: z.string().trim().min(1).max(200).meta({ description: '用证单位名称' }),
              institutionUscc: z
                .string()
                .regex(/^[0-9A-HJ-NPQRTUWXY]{18}$/)
                .meta({ description: '统一社会信用代码' }),
              certificateTypes: z.array(z.string().min(1)).min(1).meta({ description: '证照类型代码' }),
              interfaces: z
                .array(z.enum(SHARE_INTERFACES))
                .min(1)
                .meta({ description: 'search 检索、download 下载、info 信息获取、verify 信息验证' }),
              regionCodes: z
                .array(z.string().regex(/^\d{2,6}$/))
                .min(1)
                .meta({ description: '行政区划代码（前缀）' }),
              validFrom: z.iso.datetime(),
              validUntil: z.iso.datetime(),
            })
            .meta({
              example: {
                ...EX_AGREEMENT,
              },
            }),
          response: {
            201: z.object({ id: z.uuid() }).meta({ example: { id: '3a7e9c1b-2d4f-4e6a-8b0c-1d2e3f4a5b6c' } }),
            ...errors(400, 401, 403, 409),
          },
        },
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const b = req.body;
        const id = await identity.createAgreement(
          { ...b, validFrom: new Date(b.validFrom), validUntil: new Date(b.validUntil) },
          actorOf(p),
          meta(req),
        );
        return reply.status(201).send({ id });
      },
    );
    r.post(
      '/api/v1/admin/agreements/:id/clients',
      {
        preHandler: requireStaff('province-admin'),
        schema: {
          tags,
          summary: '为共享协议签发接口凭证（密钥只显示一次）/ issue API credentials (the secret is shown once)',
          params: z.object({ id: z.uuid() }),
          body: z
            .object({
              name: z.string().trim().min(1).max(100),
              publicKeyHex: z
                .string()
                .regex(/^04[0-9a-fA-F]{128}$/)
                .optional()
                .meta({
                  description: 'SM2 公钥（十六进制 04‖x‖y），用于签名请求 / SM2 public key for signed requests',
                }),
            })
            .meta({ example: { name: '工行潢川支行信贷系统' } }),
          response: {
            201: z
              .object({ clientId: z.string(), secret: z.string() })
              .meta({ example: { clientId: 'bdc_x1Y2z3A4b5C6', secret: 'mN0…' } }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        return reply.status(201).send(
          await identity.createApiClient(
            {
              agreementId: req.params.id,
              name: req.body.name,
              ...(req.body.publicKeyHex ? { publicKeyHex: req.body.publicKeyHex } : {}),
            },
            actorOf(p),
            meta(req),
          ),
        );
      },
    );
    r.get(
      '/api/v1/admin/agreements',
      {
        preHandler: requireStaff('province-admin'),
        schema: {
          tags,
          summary: '共享协议及其接口凭证列表 / sharing agreements and their API clients',
          response: {
            200: z
              .object({
                items: z.array(
                  z.object({
                    id: z.uuid(),
                    agreementNo: z.string(),
                    institutionName: z.string(),
                    institutionUscc: z.string(),
                    certificateTypes: z.array(z.string()),
                    interfaces: z.array(z.string()),
                    regionCodes: z.array(z.string()),
                    validFrom: z.iso.datetime(),
                    validUntil: z.iso.datetime(),
                    revokedAt: z.iso.datetime().nullable(),
                    clients: z.array(
                      z.object({ clientId: z.string(), name: z.string(), revokedAt: z.iso.datetime().nullable() }),
                    ),
                  }),
                ),
              })
              .meta({
                example: {
                  items: [
                    {
                      id: '3a7e9c1b-2d4f-4e6a-8b0c-1d2e3f4a5b6c',
                      ...EX_AGREEMENT,
                      revokedAt: null,
                      clients: [{ clientId: 'bdc_x1Y2z3A4b5C6', name: '工行潢川支行信贷系统', revokedAt: null }],
                    },
                  ],
                },
              }),
            ...errors(401, 403),
          },
        },
      },
      async () => ({
        items: (await identity.listAgreements()).map((a) => ({
          ...a,
          validFrom: a.validFrom.toISOString(),
          validUntil: a.validUntil.toISOString(),
          revokedAt: a.revokedAt?.toISOString() ?? null,
          clients: a.clients.map((c) => ({ ...c, revokedAt: c.revokedAt?.toISOString() ?? null })),
        })),
      }),
    );
    r.post(
      '/api/v1/admin/agreements/:id/revoke',
      {
        preHandler: requireStaff('province-admin'),
        schema: {
          tags,
          summary: '终止共享协议（其全部凭证立即失效）/ end a sharing agreement (all its clients stop at once)',
          params: z.object({ id: z.uuid() }),
          response: { 204: noContent, ...errors(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await identity.revoke({ agreementId: req.params.id }, actorOf(staffPrincipal(req)), meta(req));
        return reply.status(204).send(null);
      },
    );
    r.post(
      '/api/v1/admin/clients/:clientId/revoke',
      {
        preHandler: requireStaff('province-admin'),
        schema: {
          tags,
          summary: '吊销接口凭证 / revoke API client credentials',
          params: z.object({ clientId: z.string().min(1).max(100) }),
          response: { 204: noContent, ...errors(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await identity.revoke({ clientId: req.params.clientId }, actorOf(staffPrincipal(req)), meta(req));
        return reply.status(204).send(null);
      },
    );
  };
}
