import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole } from '../../domain/access.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';
import { notFoundError, requireHolder, requireStaff, requireStepUp, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { binary, EX, EX_FACE, errors, MIME } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf, auditRequest, recordAudit } from '../audit/audit.js';
import { archiveStatus } from '../lifecycle/archive.js';
import { ArchiveSchema, EX_ARCHIVE, EX_PAPER_COLLECTION, PaperCollectionSchema } from '../lifecycle/routes.js';
import { changeStatus, correct, download, preview, STATUS_ACTIONS } from '../lifecycle/service.js';
import { maskIdNumber } from '../privacy/mask.js';
import { findEntryDetail } from '../register/entry-detail.js';
import { EntryOutcome, FaceInputDocumented, RegisterEntryInput } from '../register/entry-schema.js';
import * as registerRepo from '../register/repository.js';
import * as repo from './repository.js';
import { runBatch, startBatch } from './sealing.js';
import { decryptFace, type IssuanceDeps, recordEntry } from './service.js';

/** The summary shown in the example of CertificateSummary; the detail route extends it. */
const EX_SUMMARY = {
  id: EX.certificateId,
  agencyId: EX.agencyId,
  kind: 'property-certificate',
  certificateNo: EX.certificateNo,
  identifier: EX.identifier,
  version: 1,
  status: 'issued',
  statusName: '有效',
  collected: true,
  collectedAt: '2026-11-21T09:12:00.000Z',
  pledged: false,
  unitNo: EX.unitNo,
  location: EX.location,
  holders: EX.holderMasked,
  matter: null,
  registeredOn: '20261120',
  sealedAt: '2026-11-20T10:00:00.000Z',
  statusReason: null,
  hasFiles: true,
  createdAt: '2026-11-20T02:30:00.000Z',
};

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
  .meta({ example: EX_SUMMARY });

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

const EntryDetailSchema = z
  .object({
    id: z.uuid(),
    agencyId: z.uuid(),
    businessNo: z.string().meta({ description: '业务号' }),
    registrationType: z.string().meta({ description: '登记类型代码，如100首次登记' }),
    rightTypeCode: z.string().nullable(),
    unitNo: z.string().meta({ description: '不动产单元号' }),
    recordedAt: z.iso.datetime().meta({ description: '登簿时间' }),
    source: z.string(),
    caseId: z.string().nullable().meta({ description: '产生本次登簿的办件' }),
    outcome: EntryOutcome,
    unit: z.object({ unitNo: z.string(), regionCode: z.string(), location: z.string() }).nullable(),
    rights: z.array(
      z.object({
        id: z.uuid(),
        rightType: z.string(),
        rightTypeCode: z.string(),
        status: z.enum(['current', 'historical']),
        coOwnership: z.string().nullable(),
        holders: z
          .array(z.object({ name: z.string(), idType: z.string(), idNumber: z.string() }))
          .meta({ description: '权利人（姓名、证件号脱敏）' }),
        endedAt: z.iso.datetime().nullable(),
      }),
    ),
    restrictions: z.array(
      z.object({
        id: z.uuid(),
        kind: z.enum(['mortgage', 'seizure', 'objection', 'advance-notice']),
        subtype: z.string().nullable(),
        seq: z.number().int(),
        status: z.enum(['active', 'waiting', 'released']),
        sourceOrg: z.string().nullable(),
        sourceCaseNo: z.string().nullable(),
        releasedAt: z.iso.datetime().nullable(),
      }),
    ),
    certificates: z.array(CertificateSummary).meta({ description: '本次登簿生成的证照' }),
  })
  .meta({
    example: {
      id: EX.entryId,
      agencyId: EX.agencyId,
      businessNo: EX.businessNo,
      registrationType: '100',
      rightTypeCode: '4',
      unitNo: EX.unitNo,
      recordedAt: EX.at,
      source: 'api',
      caseId: null,
      outcome: {
        document: 'property-certificate',
        certificateId: EX.certificateId,
        certificateNo: EX.certificateNo,
        identifier: EX.identifier,
        reason: '其他登记事项生成不动产权证书（四川第六条）',
      },
      unit: { unitNo: EX.unitNo, regionCode: EX.regionCode, location: EX.location },
      rights: [
        {
          id: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
          rightType: '国有建设用地使用权/房屋（构筑物）所有权',
          rightTypeCode: '4',
          status: 'current',
          coOwnership: '单独所有',
          holders: [{ name: EX.holderMasked, idType: '111', idNumber: EX.idNumberMasked }],
          endedAt: null,
        },
      ],
      restrictions: [],
      certificates: [],
    },
  });

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

    /** The signed-in holder's own certificate; another holder's answers 404, as a missing one. */
    const holderCert = async (req: FastifyRequest) => {
      const p = req.principal;
      const c = await repo.findCertificate(db(), (req.params as { id: string }).id);
      if (p?.kind !== 'holder' || !c || !c.holder_keys.includes(p.holderKey)) throw notFoundError();
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
            201: z.object({ entryId: z.uuid(), replayed: z.literal(false), outcome: EntryOutcome }),
            200: z.object({ entryId: z.uuid(), replayed: z.literal(true), outcome: EntryOutcome }),
            ...errors(400, 401, 403),
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
                  outcome: EntryOutcome,
                }),
              ),
            }),
            ...errors(400, 401, 403),
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

    r.get(
      '/api/v1/register/entries/:id',
      {
        schema: {
          tags,
          summary:
            '登簿记录详情：不动产单元、权利、权利人（脱敏）与生成的证照 / one register entry with its unit, rights and certificates',
          description:
            '本机构工作人员（或省级管理员）可查看；其他机构的记录与不存在的记录一样返回 404。读取记入审计日志。Staff of the entry’s agency (or a province admin); another agency’s entry answers 404 like a missing one. The read is audited.',
          params: IdParams,
          response: { 200: EntryDetailSchema, ...errors(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const d = await findEntryDetail(db(), deps.ctx.fieldCrypto, req.params.id);
        await requireStaff(
          ['registrar', 'sealing-clerk', 'agency-admin', 'auditor'],
          () => d?.entry.agency_id ?? NO_AGENCY,
        )(req, undefined as unknown as FastifyReply);
        if (!d) throw notFoundError();
        const e = d.entry;
        await recordAudit(db(), {
          actor: actorOf(req.principal),
          action: 'register.entry.view',
          objectType: 'register-entry',
          objectId: e.id,
          result: 'success',
          details: { agencyId: e.agency_id, certificateIds: d.certificates.map((c) => c.id) },
          ...auditRequest(req),
        });
        return {
          id: e.id,
          agencyId: e.agency_id,
          businessNo: e.business_no,
          registrationType: e.registration_type,
          rightTypeCode: e.right_type_code,
          unitNo: e.unit_no,
          recordedAt: e.recorded_at.toISOString(),
          source: e.source,
          caseId: e.case_id,
          outcome: e.outcome,
          unit: d.unit ? { unitNo: d.unit.unit_no, regionCode: d.unit.region_code, location: d.unit.location } : null,
          rights: d.rights.map((x) => ({
            id: x.id,
            rightType: x.right_type,
            rightTypeCode: x.right_type_code,
            status: x.status,
            coOwnership: x.co_ownership,
            holders: [...x.holders],
            endedAt: x.ended_at?.toISOString() ?? null,
          })),
          restrictions: d.restrictions.map((x) => ({
            id: x.id,
            kind: x.kind,
            subtype: x.subtype,
            seq: x.seq,
            status: x.status,
            sourceOrg: x.source_org,
            sourceCaseNo: x.source_case_no,
            releasedAt: x.released_at?.toISOString() ?? null,
          })),
          certificates: d.certificates.map(summary),
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
            .meta({ example: { certificateNo: EX.certificateNo, status: 'issued', page: 1, pageSize: 20 } }),
          response: {
            200: z
              .object({ total: z.number(), items: z.array(CertificateSummary) })
              .meta({ example: { total: 1, items: [EX_SUMMARY] } }),
            ...errors(400, 401, 403),
          },
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
        // A search is a data access (issue 7 §5), by holder ID included: who searched, by which criteria (the ID
        // number only as the keyed hash), and what it returned. Written before the answer leaves.
        await recordAudit(db(), {
          actor: actorOf(p),
          action: 'certificate.search',
          ...(b.holderIdNumber ? { holderKey: deps.ctx.fieldCrypto.index(b.holderIdNumber) } : {}),
          result: 'success',
          ip: req.ip,
          requestId: req.id,
          details: {
            criteria: (['certificateNo', 'identifier', 'unitNo', 'holderIdNumber', 'status'] as const).filter(
              (k) => b[k],
            ),
            page: b.page,
            total,
            certificateIds: rows.map((c) => c.id),
          },
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
              // Huangchuan 2.3–2.5: the case archived at the first download or the paper collection.
              archive: ArchiveSchema,
              paperCollection: PaperCollectionSchema,
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
            }).meta({
              example: {
                ...EX_SUMMARY,
                face: {
                  ...EX_FACE,
                  holders: [{ ...EX_FACE.holders[0], idNumber: EX.idNumberMasked }],
                  certificateNo: EX.certificateNo,
                },
                archive: EX_ARCHIVE,
                paperCollection: EX_PAPER_COLLECTION,
                events: [
                  {
                    event: 'certificate.seal',
                    from: 'pending-seal',
                    to: 'issued',
                    reason: '定时批量签章（12:00）',
                    actor: { kind: 'system', id: 'sealing-schedule' },
                    at: '2026-11-20T04:00:00.000Z',
                  },
                ],
              },
            }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req) => {
        const c = await visibleCert(req);
        const events = await repo.eventsOf(db(), c.id);
        // The detail shows face data: a data access the holder sees in "who accessed mine" (issue 7 §5).
        await recordAudit(db(), {
          actor: actorOf(req.principal),
          action: 'certificate.view',
          objectType: 'certificate',
          objectId: c.id,
          certificateId: c.id,
          issuingAgencyId: c.agency_id,
          result: 'success',
          ip: req.ip,
          requestId: req.id,
        });
        return {
          ...summary(c),
          face: maskedFace(decryptFace(deps, c) as unknown as Record<string, unknown>),
          ...(await archiveStatus(deps, c)),
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
          response: {
            200: binary('证照文件（内联显示）/ the certificate file, inline', MIME.ofd, MIME.pdf),
            ...errors(400, 401, 403, 404),
          },
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
          response: { 200: CertificateSummary, ...errors(400, 401, 403, 404) },
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
          body: z
            .object({
              face: FaceInputDocumented,
              reason: z.string().trim().min(1, '请填写更正原因||reason is required').max(500),
              correctionBusinessNo: z.string().optional(),
            })
            .meta({
              example: {
                face: { ...EX_FACE, area: 96.58 },
                reason: '更正登记：建筑面积录入错误（98.56改为96.58平方米）',
                correctionBusinessNo: '202611250007',
              },
            }),
          response: {
            200: z
              .object({
                oldId: z.uuid(),
                newId: z.uuid(),
                identifier: z.string(),
                path: z.enum(['rollback', 'correction-registration']),
              })
              .meta({
                example: {
                  oldId: EX.certificateId,
                  newId: 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d',
                  identifier: '1.2.156.3005.2.11100000MB03271699001.11411526MB1A00028N.20260000123.002.4',
                  path: 'correction-registration',
                },
              }),
            ...errors(400, 401, 403, 404),
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

    const Batch = z
      .object({
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
      })
      .meta({
        example: {
          id: EX.batchId,
          agencyId: EX.agencyId,
          status: 'done',
          trigger: 'clerk',
          total: 12,
          sealed: 11,
          failed: 1,
          lastError: '印章已停用：潢川县自然资源局不动产登记专用章',
          createdAt: EX.at,
          finishedAt: '2026-11-20T10:00:09.000Z',
        },
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
          summary: '批量签章（缮证人员，须先二次验证）/ seal pending certificates in a batch (after a step-up)',
          description:
            '须先调用 POST /api/v1/auth/step-up 完成二次验证（5 分钟内有效），否则返回 403 STEP_UP_REQUIRED。',
          body: z
            .object({ certificateIds: z.array(z.uuid()).max(10_000).optional() })
            .meta({ example: { certificateIds: ['5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b'] } }),
          response: { 202: Batch, ...errors(400, 401, 403) },
        },
        // Issue 8: the clerk confirms the batch with the second factor (Henan 三(一)5: the authorised clerk seals).
        preHandler: [requireStaff('sealing-clerk'), requireStepUp('seal-batch.start')],
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
          response: { 200: Batch, ...errors(400, 401, 403, 404) },
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
          response: { 200: z.object({ items: z.array(CertificateSummary) }), ...errors(401, 403) },
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
          response: {
            200: binary(
              '证照文件（附件下载；响应头 x-collected-at 为领用时间）/ the file as an attachment; x-collected-at is the collection time',
              MIME.ofd,
              MIME.pdf,
            ),
            ...errors(400, 401, 404, 422),
          },
        },
        preHandler: requireHolder(),
      },
      async (req, reply) => {
        const c = await holderCert(req);
        const p = req.principal;
        if (p?.kind !== 'holder') throw notFoundError();
        const f = await download(deps, c.id, req.query.format, actorOf(p), true);
        return reply
          .type(req.query.format === 'pdf' ? 'application/pdf' : 'application/ofd')
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(f.filename)}`)
          .header('x-collected-at', f.collectedAt?.toISOString() ?? '')
          .send(Buffer.from(f.bytes));
      },
    );

    r.get(
      '/api/v1/holder/certificates/:id/preview',
      {
        schema: {
          tags: ['holder'],
          summary: '在线预览证照（不计为领用）/ view the certificate inline (not a collection)',
          description:
            '以 Content-Disposition: inline 返回版式文件（默认 PDF），供浏览器内查看；不记录领用时间，不计为下载（潢川 2.2），但作为访问记入审计日志。Serves the file inline (PDF by default) for viewing in the browser: no collection time, not counted as a download, audited as a read.',
          params: IdParams,
          querystring: z.object({ format: z.enum(['ofd', 'pdf']).default('pdf') }),
          response: {
            200: binary('证照文件（内联显示）/ the file, inline', MIME.pdf, MIME.ofd),
            ...errors(400, 401, 404, 422),
          },
        },
        preHandler: requireHolder(),
      },
      async (req, reply) => {
        const c = await holderCert(req);
        const f = await preview(deps, c, req.query.format, actorOf(req.principal), auditRequest(req));
        return reply
          .type(req.query.format === 'pdf' ? MIME.pdf : MIME.ofd)
          .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(f.filename)}`)
          .header('cache-control', 'private, no-store')
          .send(Buffer.from(f.bytes));
      },
    );
  };
}

const NO_AGENCY = '00000000-0000-0000-0000-000000000000';
