import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFoundError, requireStaff } from '../../http/auth.js';
import { EX, errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import * as issuanceRepo from '../issuance/repository.js';
import type { IssuanceDeps } from '../issuance/service.js';
import { archiveStatus, recordPaperCollection } from './archive.js';

/** The sample certificate's paper copy collected at the 潢川 counter, which archived its case (examples). */
const EX_CLERK = { kind: 'staff', id: EX.userId, agencyId: EX.agencyId };
export const EX_PAPER_COLLECTION = {
  collectedAt: '2026-11-21T02:15:00.000Z',
  collector: EX.holderMasked,
  collectorIdNumber: EX.idNumberMasked,
  paperSerialNo: '411526000123',
  note: '本人到窗口领取',
  recordedBy: EX_CLERK,
};
export const EX_ARCHIVE = {
  trigger: 'paper-collection',
  archivedAt: '2026-11-21T02:15:00.000Z',
  actor: EX_CLERK,
  certificateId: EX.certificateId,
  caseId: 'HC-2026-112000123',
};

export const ArchiveSchema = z
  .object({
    trigger: z
      .enum(['first-download', 'paper-collection'])
      .meta({ description: 'first-download 首次下载 · paper-collection 领取纸质证书（潢川2.5）' }),
    archivedAt: z.iso.datetime().meta({ description: '归档时间' }),
    actor: z.unknown().meta({ description: '触发归档的人（权利人或窗口人员）' }),
    certificateId: z.uuid().nullable(),
    caseId: z.string().nullable().meta({ description: '办件编号' }),
  })
  .nullable()
  .meta({ description: '登记案卷归档记录（未归档为 null）' });

export const PaperCollectionSchema = z
  .object({
    collectedAt: z.iso.datetime().meta({ description: '领取时间' }),
    collector: z.string().meta({ description: '领取人（脱敏）' }),
    collectorIdNumber: z.string().nullable().meta({ description: '领取人证件号（脱敏）' }),
    paperSerialNo: z.string().nullable().meta({ description: '纸质证书编号（印制序列号）' }),
    note: z.string().nullable(),
    recordedBy: z.unknown(),
  })
  .nullable()
  .meta({ description: '纸质证书领取记录（未领取为 null）' });

const NO_AGENCY = '00000000-0000-0000-0000-000000000000';

/**
 * `/api/v1/certificates/:id/paper-collection` and `/archive` (Huangchuan 2.3–2.5): the counter records that the holder
 * collected the paper certificate, which archives the case if the first download has not. Staff of the certificate's
 * agency; another agency's certificate is a 404.
 */
export function lifecycleRoutes(deps: IssuanceDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const visible = async (req: FastifyRequest, roles: Parameters<typeof requireStaff>[0]) => {
      const c = await issuanceRepo.findCertificate(deps.ctx.store.db, (req.params as { id: string }).id);
      await requireStaff(roles, () => c?.agency_id ?? NO_AGENCY)(req, undefined as unknown as FastifyReply);
      if (!c) throw notFoundError();
      return c;
    };

    r.post(
      '/api/v1/certificates/:id/paper-collection',
      {
        schema: {
          tags: ['certificates'],
          summary: '登记领取纸质证书（并归档登记案卷）/ record the paper certificate’s collection (archives the case)',
          description:
            '当事人申领纸质不动产权证书或不动产登记证明（潢川2.3、2.4）时由窗口人员登记；若权利人尚未首次下载电子证照，登记案卷随即归档（潢川2.5）。每本证照只能登记一次。',
          params: z.object({ id: z.uuid() }),
          body: z
            .object({
              collectorName: z
                .string()
                .trim()
                .min(1, '请填写领取人||collectorName is required')
                .max(200)
                .meta({ description: '领取人姓名或名称' }),
              collectorIdNumber: z.string().trim().max(50).optional().meta({ description: '领取人证件号' }),
              paperSerialNo: z.string().trim().max(50).optional().meta({ description: '纸质证书编号（印制序列号）' }),
              note: z.string().trim().max(500).optional().meta({ description: '备注，如“委托代理人领取”' }),
            })
            .meta({
              example: {
                collectorName: EX.holderName,
                collectorIdNumber: EX.idNumber,
                paperSerialNo: '411526000123',
                note: '本人到窗口领取',
              },
            }),
          response: {
            201: z
              .object({
                certificateId: z.uuid(),
                archivedNow: z.boolean(),
                paperCollection: PaperCollectionSchema,
                archive: ArchiveSchema,
              })
              .meta({
                example: {
                  certificateId: EX.certificateId,
                  archivedNow: true,
                  paperCollection: EX_PAPER_COLLECTION,
                  archive: EX_ARCHIVE,
                },
              }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const c = await visible(req, ['registrar', 'agency-admin']);
        const { archivedNow } = await recordPaperCollection(deps, {
          certificateId: c.id,
          collectorName: req.body.collectorName,
          ...(req.body.collectorIdNumber ? { collectorIdNumber: req.body.collectorIdNumber } : {}),
          ...(req.body.paperSerialNo ? { paperSerialNo: req.body.paperSerialNo } : {}),
          ...(req.body.note ? { note: req.body.note } : {}),
          actor: actorOf(req.principal),
        });
        const s = await archiveStatus(deps, c);
        return reply.status(201).send({ certificateId: c.id, archivedNow, ...s });
      },
    );

    r.get(
      '/api/v1/certificates/:id/archive',
      {
        schema: {
          tags: ['certificates'],
          summary: '登记案卷归档与纸质证书领取情况 / archive and paper collection of a certificate',
          params: z.object({ id: z.uuid() }),
          response: {
            200: z
              .object({ archive: ArchiveSchema, paperCollection: PaperCollectionSchema })
              .meta({ example: { archive: EX_ARCHIVE, paperCollection: EX_PAPER_COLLECTION } }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req) => archiveStatus(deps, await visible(req, ['registrar', 'sealing-clerk', 'agency-admin', 'auditor'])),
    );
  };
}
