import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole } from '../../domain/access.js';
import { FaceInput } from '../../domain/face-data.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';
import { notFoundError, requireHolder, requireStaff, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import type { App } from '../../http/server.js';
import { actorOf, recordAudit } from '../audit/audit.js';
import { changeStatus, correct, download, STATUS_ACTIONS } from '../lifecycle/service.js';
import { maskIdNumber } from '../privacy/mask.js';
import { RegisterEntryInput } from '../register/entry-schema.js';
import * as registerRepo from '../register/repository.js';
import * as repo from './repository.js';
import { runBatch, startBatch } from './sealing.js';
import { decryptFace, type IssuanceDeps, recordEntry } from './service.js';

const Outcome = z.object({
  document: z.enum(['property-certificate', 'registration-proof', 'none']),
  certificateId: z.uuid().optional(),
  certificateNo: z.string().optional(),
  identifier: z.string().optional(),
  superseded: z.array(z.uuid()).optional(),
  restrictionId: z.uuid().optional(),
  reason: z.string(),
});

const CertificateSummary = z
  .object({
    id: z.uuid(),
    agencyId: z.uuid(),
    kind: z.enum(['property-certificate', 'registration-proof']),
    certificateNo: z.string(),
    identifier: z.string(),
    version: z.number(),
    status: z.string(),
    statusName: z.string().meta({ description: '状态中文名' }),
    collected: z.boolean(),
    collectedAt: z.iso.datetime().nullable().meta({ description: '领用时间（首次下载）' }),
    pledged: z.boolean(),
    unitNo: z.string(),
    location: z.string(),
    holders: z.string().meta({ description: '权利人（脱敏）' }),
    matter: z.string().nullable(),
    registeredOn: z.string(),
    sealedAt: z.iso.datetime().nullable(),
    statusReason: z.string().nullable(),
    hasFiles: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({
    example: {
      id: '5b0c…',
      agencyId: '0b5f…',
      kind: 'property-certificate',
      certificateNo: '豫(2026)潢川县不动产权第0000123号',
      identifier: '1.2.156.3005.2.11100000MB03271699001.11411526MB1A00028N.20260000123.001.6',
      version: 1,
      status: 'issued',
      statusName: '有效',
      collected: true,
      collectedAt: '2026-11-21T09:12:00.000Z',
      pledged: false,
      unitNo: '411526001002GB00123F00010203',
      location: '潢川县春申街道跃进路88号',
      holders: '张*',
      matter: null,
      registeredOn: '20261120',
      sealedAt: '2026-11-20T10:00:00.000Z',
      statusReason: null,
      hasFiles: true,
      createdAt: '2026-11-20T02:30:00.000Z',
    },
  });

export function summary(c: repo.CertificateRow) {
  return {
    id: c.id,
    agencyId: c.agency_id,
    kind: c.kind,
    certificateNo: c.certificate_no,
    identifier: c.identifier,
    version: c.version,
    status: c.status,
    statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
    collected: c.collected,
    collectedAt: c.collected_at?.toISOString() ?? null,
    pledged: c.pledged,
    unitNo: c.unit_no,
    location: c.location,
    holders: c.holder_display,
    matter: c.matter,
    registeredOn: c.registered_on,
    sealedAt: c.sealed_at?.toISOString() ?? null,
    statusReason: c.status_reason,
    hasFiles: !!c.ofd_blob,
    createdAt: c.created_at.toISOString(),
  };
}

/** Masks ID numbers in face data shown to staff (names stay: the clerk works with them). */
function maskedFace(face: Record<string, unknown>): Record<string, unknown> {
  const mask = (list: unknown) =>
    Array.isArray(list)
      ? list.map((p) => ({
          ...(p as object),
          ...((p as { idNumber?: string }).idNumber
            ? { idNumber: maskIdNumber((p as { idNumber: string }).idNumber) }
            : {}),
        }))
      : list;
  return { ...face, holders: mask(face.holders), obligors: mask(face.obligors), coOwners: mask(face.coOwners) };
}

const IdParams = z.object({ id: z.uuid() });
const tags = ['register'];
const certTags = ['certificates'];

export function issuanceRoutes(deps: IssuanceDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const db = () => deps.ctx.store.db;
    /** Staff of the certificate's agency (or a province admin) — anyone else gets 404, as for a missing one. */
    const visibleCert = async (
      req: FastifyRequest,
      roles: Parameters<typeof requireStaff>[0] = ['registrar', 'sealing-clerk', 'agency-admin', 'auditor'],
    ) => {
      const c = await repo.findCertificate(db(), (req.params as { id: string }).id);
      await requireStaff(roles, () => c?.agency_id ?? NO_AGENCY)(req, undefined as unknown as FastifyReply);
      if (!c) throw notFoundError();
      return c;
    };

    r.post(
      '/api/v1/register/entries',
      {
        schema: {
          tags,
          summary: '登簿（幂等，按业务号）/ record a register entry (idempotent on business number)',
          description:
            '记载于不动产登记簿后自动判断生成不动产权证书或不动产登记证明，分配证号与电子证照标识并进入待签章队列；同一业务号重复提交不产生任何变化。',
          body: RegisterEntryInput,
          response: {
            201: z.object({ entryId: z.uuid(), replayed: z.literal(false), outcome: Outcome }),
            200: z.object({ entryId: z.uuid(), replayed: z.literal(true), outcome: Outcome }),
          },
        },
        preHandler: requireStaff('registrar', (req) => (req.body as { agencyId?: string }).agencyId),
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const agencyId = req.body.agencyId ?? p.agencyId;
        const res = await recordEntry(deps, { ...req.body, agencyId }, actorOf(p));
        return res.replayed
          ? reply.status(200).send({ entryId: res.entryId, replayed: true as const, outcome: res.outcome })
          : reply.status(201).send({ entryId: res.entryId, replayed: false as const, outcome: res.outcome });
      },
    );

    r.get(
      '/api/v1/register/entries',
      {
        schema: {
          tags,
          summary: '登簿记录列表 / register entries of my agency',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            before: z.iso.datetime().optional(),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.uuid(),
                  businessNo: z.string(),
                  registrationType: z.string(),
                  unitNo: z.string(),
                  recordedAt: z.iso.datetime(),
                  source: z.string(),
                  outcome: Outcome,
                }),
              ),
            }),
          },
        },
        preHandler: requireStaff(['registrar', 'sealing-clerk', 'agency-admin', 'auditor']),
      },
      async (req) => {
        const p = staffPrincipal(req);
        const rows = await registerRepo.listEntries(
          db(),
          p.agencyId,
          req.query.limit,
          req.query.before ? new Date(req.query.before) : undefined,
        );
        return {
          items: rows.map((e) => ({
            id: e.id,
            businessNo: e.business_no,
            registrationType: e.registration_type,
            unitNo: e.unit_no,
            recordedAt: e.recorded_at.toISOString(),
            source: e.source,
            outcome: e.outcome,
          })),
        };
      },
    );

    r.post(
      '/api/v1/certificates/search',
      {
        schema: {
          tags: certTags,
          summary: '证照检索（本机构）/ search certificates of my agency',
          description: '按证号、电子证照标识、不动产单元号或权利人证件号检索；证件号放在请求体中，不出现在URL里。',
          body: z
            .object({
              certificateNo: z.string().optional(),
              identifier: z.string().optional(),
              unitNo: z.string().optional(),
              holderIdNumber: z.string().optional(),
              status: z.string().optional(),
              page: z.number().int().min(1).default(1),
              pageSize: z.number().int().min(1).max(100).default(20),
            })
            .meta({ example: { holderIdNumber: '411526198503120026', page: 1, pageSize: 20 } }),
          response: { 200: z.object({ total: z.number(), items: z.array(CertificateSummary) }) },
        },
        preHandler: requireStaff(['registrar', 'sealing-clerk', 'agency-admin', 'auditor']),
      },
      async (req) => {
        const p = staffPrincipal(req);
        const b = req.body;
        const { rows, total } = await repo.searchCertificates(db(), {
          ...(hasRole(p, 'province-admin') ? {} : { agencyId: p.agencyId }),
          ...(b.certificateNo
            ? { certificateNo: b.certificateNo.replace(/（/g, '(').replace(/）/g, ')').replace(/\s/g, '') }
            : {}),
          ...(b.identifier ? { identifier: b.identifier.trim() } : {}),
          ...(b.unitNo ? { unitNo: b.unitNo.replace(/\s/g, '') } : {}),
          ...(b.holderIdNumber ? { holderKey: deps.ctx.fieldCrypto.index(b.holderIdNumber) } : {}),
          ...(b.status ? { status: b.status } : {}),
          limit: b.pageSize,
          offset: (b.page - 1) * b.pageSize,
        });
        return { total, items: rows.map(summary) };
      },
    );

    r.get(
      '/api/v1/certificates/:id',
      {
        schema: {
          tags: certTags,
          summary: '证照详情（照面信息中证件号脱敏）/ certificate detail',
          params: IdParams,
          response: {
            200: CertificateSummary.extend({
              face: z.record(z.string(), z.unknown()),
              events: z.array(
                z.object({
                  event: z.string(),
                  from: z.string().nullable(),
                  to: z.string(),
                  reason: z.string().nullable(),
                  actor: z.unknown(),
                  at: z.iso.datetime(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const c = await visibleCert(req);
        const events = await repo.eventsOf(db(), c.id);
        return {
          ...summary(c),
          face: maskedFace(decryptFace(deps, c) as unknown as Record<string, unknown>),
          events: events.map((e) => ({
            event: e.event,
            from: e.from_status,
            to: e.to_status,
            reason: e.reason,
            actor: e.actor,
            at: e.at.toISOString(),
          })),
        };
      },
    );

    r.get(
      '/api/v1/certificates/:id/files/:file',
      {
        schema: {
          tags: certTags,
          summary: '证照文件预览（工作人员）/ certificate file for staff preview',
          params: z.object({ id: z.uuid(), file: z.enum(['ofd', 'pdf', 'cancelled-ofd', 'cancelled-pdf']) }),
        },
      },
      async (req, reply) => {
        const c = await visibleCert(req);
        const blob = {
          ofd: c.ofd_blob,
          pdf: c.pdf_blob,
          'cancelled-ofd': c.cancelled_ofd_blob,
          'cancelled-pdf': c.cancelled_pdf_blob,
        }[req.params.file];
        if (!blob) throw new ApiError('NOT_FOUND', '该文件尚未生成', 'That file does not exist yet', 'file');
        const bytes = await deps.ctx.blobs.get(blob);
        if (!bytes) throw new ApiError('NOT_FOUND', '文件缺失', 'File missing', 'file');
        await recordAudit(db(), {
          actor: actorOf(req.principal),
          action: 'certificate.preview',
          objectType: 'certificate',
          objectId: c.id,
          certificateId: c.id,
          issuingAgencyId: c.agency_id,
          result: 'success',
          ip: req.ip,
          requestId: req.id,
          details: { file: req.params.file },
        });
        return reply
          .type(req.params.file.endsWith('pdf') ? 'application/pdf' : 'application/ofd')
          .header(
            'content-disposition',
            `inline; filename*=UTF-8''${encodeURIComponent(`${c.certificate_no}.${req.params.file.endsWith('pdf') ? 'pdf' : 'ofd'}`)}`,
          )
          .send(Buffer.from(bytes));
      },
    );

    r.post(
      '/api/v1/certificates/:id/status',
      {
        schema: {
          tags: certTags,
          summary:
            '证照状态变更（注销、吊销、废止、挂起、恢复、质押、解除质押、延续、变更）/ change status with a reason',
          params: IdParams,
          body: z
            .object({
              action: z.enum(STATUS_ACTIONS),
              reason: z.string().trim().min(1, '请填写原因||reason is required').max(500),
            })
            .meta({ example: { action: 'suspend', reason: '法院协助执行通知，暂停使用' } }),
          response: { 200: CertificateSummary },
        },
      },
      async (req) => {
        const c = await visibleCert(req, ['agency-admin', 'registrar']);
        return summary(await changeStatus(deps, c.id, req.body.action, req.body.reason, actorOf(req.principal)));
      },
    );

    r.post(
      '/api/v1/certificates/:id/correct',
      {
        schema: {
          tags: certTags,
          summary: '更正（未下载回退重签；已下载须更正登记）/ correct a certificate',
          params: IdParams,
          body: z.object({
            face: FaceInput,
            reason: z.string().trim().min(1, '请填写更正原因||reason is required').max(500),
            correctionBusinessNo: z.string().optional(),
          }),
          response: {
            200: z.object({
              oldId: z.uuid(),
              newId: z.uuid(),
              identifier: z.string(),
              path: z.enum(['rollback', 'correction-registration']),
            }),
          },
        },
      },
      async (req) => {
        const c = await visibleCert(req, ['registrar', 'agency-admin']);
        return correct(deps, {
          certificateId: c.id,
          face: req.body.face,
          reason: req.body.reason,
          ...(req.body.correctionBusinessNo ? { correctionBusinessNo: req.body.correctionBusinessNo } : {}),
          actor: actorOf(req.principal),
        });
      },
    );

    const Batch = z.object({
      id: z.uuid(),
      agencyId: z.uuid(),
      status: z.enum(['running', 'done', 'failed']),
      trigger: z.string(),
      total: z.number(),
      sealed: z.number(),
      failed: z.number(),
      lastError: z.string().nullable(),
      createdAt: z.iso.datetime(),
      finishedAt: z.iso.datetime().nullable(),
    });
    const batchOut = (b: repo.SealBatchRow) => ({
      id: b.id,
      agencyId: b.agency_id,
      status: b.status,
      trigger: b.trigger,
      total: b.total,
      sealed: b.sealed,
      failed: b.failed,
      lastError: b.last_error,
      createdAt: b.created_at.toISOString(),
      finishedAt: b.finished_at?.toISOString() ?? null,
    });

    r.post(
      '/api/v1/seal-batches',
      {
        schema: {
          tags: certTags,
          summary: '批量签章（缮证人员，须已通过动态验证码）/ seal pending certificates in a batch',
          body: z
            .object({ certificateIds: z.array(z.uuid()).max(10_000).optional() })
            .meta({ example: { certificateIds: ['5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b'] } }),
          response: { 202: Batch },
        },
        preHandler: requireStaff('sealing-clerk'),
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const b = await startBatch(deps, {
          agencyId: p.agencyId,
          trigger: 'clerk',
          actor: actorOf(p),
          ...(req.body.certificateIds ? { certificateIds: req.body.certificateIds } : {}),
        });
        // The batch runs in the background; its progress is read from GET /api/v1/seal-batches/:id.
        void runBatch(deps, b.id).catch((e: unknown) => req.log.error({ err: e }, 'seal batch failed'));
        return reply.status(202).send(batchOut(b));
      },
    );

    r.get(
      '/api/v1/seal-batches/:id',
      {
        schema: {
          tags: certTags,
          summary: '签章批次进度 / seal batch progress',
          params: IdParams,
          response: { 200: Batch },
        },
      },
      async (req) => {
        const b = await repo.findBatch(db(), req.params.id);
        await requireStaff(['sealing-clerk', 'agency-admin', 'auditor'], () => b?.agency_id ?? NO_AGENCY)(
          req,
          undefined as unknown as FastifyReply,
        );
        if (!b) throw notFoundError();
        return batchOut(b);
      },
    );

    // ---- holders (Huangchuan 2.2; Sichuan Art. 13) ----
    r.get(
      '/api/v1/holder/certificates',
      {
        schema: {
          tags: ['holder'],
          summary: '我的证照 / my certificates',
          response: { 200: z.object({ items: z.array(CertificateSummary) }) },
        },
        preHandler: requireHolder(),
      },
      async (req) => {
        const p = req.principal;
        if (p?.kind !== 'holder') throw notFoundError();
        return { items: (await repo.certificatesOfHolder(db(), p.holderKey)).map(summary) };
      },
    );

    r.get(
      '/api/v1/holder/certificates/:id/download',
      {
        schema: {
          tags: ['holder'],
          summary: '下载证照（首次下载即领用）/ download; the first download is the collection time',
          params: IdParams,
          querystring: z.object({ format: z.enum(['ofd', 'pdf']).default('ofd') }),
        },
        preHandler: requireHolder(),
      },
      async (req, reply) => {
        const p = req.principal;
        const c = await repo.findCertificate(db(), req.params.id);
        if (p?.kind !== 'holder' || !c || !c.holder_keys.includes(p.holderKey)) throw notFoundError();
        const f = await download(deps, c.id, req.query.format, actorOf(p), true);
        return reply
          .type(req.query.format === 'pdf' ? 'application/pdf' : 'application/ofd')
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(f.filename)}`)
          .header('x-collected-at', f.collectedAt?.toISOString() ?? '')
          .send(Buffer.from(f.bytes));
      },
    );
  };
}

const NO_AGENCY = '00000000-0000-0000-0000-000000000000';
