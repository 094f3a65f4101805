import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { hasRole, staffMayActFor } from '../../domain/access.js';
import { notFoundError, requireAuthenticated, requireStaff, staffPrincipal } from '../../http/auth.js';
import { EX, errors } from '../../http/openapi.js';
import { scrubText, scrubValue } from '../../http/redact.js';
import type { App } from '../../http/server.js';
import type { Database } from '../../store/schema.js';
import type { CertificateDirectory } from '../objections/service.js';
import {
  type AuditEntryDetail,
  type AuditEntryView,
  actorOf,
  auditByCertificate,
  auditByIssuer,
  auditRequest,
  describeFindingParts,
  listAuditEntries,
  recordAudit,
  usageSummary,
  verifyAuditChain,
} from './audit.js';

const Entry = z
  .object({
    seq: z.string(),
    at: z.iso.datetime(),
    actorKind: z.string(),
    actorId: z.string().nullable(),
    clientId: z.string().nullable(),
    action: z.string(),
    certificateId: z.string().nullable(),
    purpose: z.string().nullable().meta({ description: '用证事由' }),
    caseNo: z.string().nullable().meta({ description: '业务编号' }),
    result: z.enum(['success', 'denied', 'error']),
    reason: z.string().nullable(),
  })
  .meta({
    example: {
      seq: '1024',
      at: '2026-11-22T03:15:00.000Z',
      actorKind: 'institution',
      actorId: 'bdc_x1Y2z3A4b5C6',
      clientId: 'bdc_x1Y2z3A4b5C6',
      action: 'share.download',
      certificateId: '11100000MB0143028R0141152620260000012',
      purpose: '抵押贷款审批',
      caseNo: 'DK-2026-00871',
      result: 'success',
      reason: null,
    },
  });

const view = (e: AuditEntryView) => ({ ...e, at: e.at.toISOString() });

const DetailEntry = Entry.extend({
  id: z.uuid(),
  actorAgencyId: z.string().nullable(),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  issuingAgencyId: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.unknown().meta({ description: '补充信息（证件号已脱敏）' }),
}).meta({
  example: {
    seq: '1024',
    id: '3f0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    at: '2026-11-22T03:15:00.000Z',
    actorKind: 'staff',
    actorId: '7d1c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    actorAgencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    clientId: null,
    action: 'certificate.view',
    objectType: 'certificate',
    objectId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    certificateId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    issuingAgencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
    purpose: null,
    caseNo: null,
    result: 'success',
    reason: null,
    ip: '10.0.0.8',
    requestId: 'b1c2d3e4-0000-4000-8000-000000000001',
    details: null,
  },
});

/** Personal data never leaves through the viewer in the clear (issue 7 §7): ID numbers masked, secrets removed. */
const detailView = (e: AuditEntryDetail) => ({
  ...e,
  at: e.at.toISOString(),
  purpose: e.purpose === null ? null : scrubText(e.purpose),
  caseNo: e.caseNo === null ? null : scrubText(e.caseNo),
  reason: e.reason === null ? null : scrubText(e.reason),
  objectId: e.objectId === null ? null : scrubText(e.objectId),
  details: scrubValue(e.details),
});

const Finding = z.object({
  id: z.string().meta({
    description: '相关记录序号（删除时为缺口后一条）/ seq of the row concerned (after the gap for a removal)',
  }),
  kind: z
    .enum(['altered', 'inserted', 'removed'])
    .meta({ description: 'altered 被篡改 · inserted 插入 · removed 删除' }),
  message: z.string(),
  messageEn: z.string(),
});

/**
 * Usage report to the issuer (Nanyang Art. 17: the platform tells the issuing agency how users used its
 * certificates): the agency's auditors and admins read who used which certificate, for what purpose, with a summary
 * per action and client. Another agency's report answers 404.
 */
export function auditRoutes(
  db: Kysely<Database>,
  auth: (app: App) => void,
  certificates?: CertificateDirectory,
): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/audit/usage',
      {
        preHandler: requireStaff(['auditor', 'agency-admin']),
        schema: {
          tags: ['audit'],
          summary: "证照使用情况（签发机构）/ usage of the agency's certificates (issuer report)",
          querystring: z.object({
            agencyId: z.uuid().optional().meta({ description: '省级管理员可指定机构' }),
            from: z.iso.datetime().meta({ example: '2026-11-01T00:00:00.000Z' }),
            to: z.iso.datetime().meta({ example: '2026-12-01T00:00:00.000Z' }),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            beforeSeq: z.string().regex(/^\d+$/).optional(),
          }),
          response: {
            200: z.object({
              summary: z.array(
                z.object({
                  action: z.string(),
                  clientId: z.string().nullable(),
                  result: z.string(),
                  count: z.number(),
                }),
              ),
              items: z.array(Entry),
              nextBeforeSeq: z.string().nullable(),
            }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        const agencyId = req.query.agencyId ?? p.agencyId;
        // Reading the usage report is itself a data access (Nanyang Art. 20; Huangchuan 5.2), refusals included. The
        // agency is the object, not the issuing agency: the read must not show up in the report it reads.
        const audit = (result: 'success' | 'denied', details?: Record<string, unknown>) =>
          recordAudit(db, {
            actor: actorOf(p),
            action: 'audit.usage-read',
            objectType: 'agency',
            objectId: agencyId,
            result,
            ...(result === 'denied' ? { reason: 'NOT_FOUND' } : {}),
            details: { from: req.query.from, to: req.query.to, ...details },
            ...auditRequest(req),
          });
        if (!staffMayActFor(p, agencyId, 'auditor') && !staffMayActFor(p, agencyId, 'agency-admin')) {
          await audit('denied');
          throw notFoundError();
        }
        const from = new Date(req.query.from);
        const to = new Date(req.query.to);
        const page = await auditByIssuer(db, agencyId, {
          from,
          to,
          limit: req.query.limit,
          ...(req.query.beforeSeq ? { beforeSeq: req.query.beforeSeq } : {}),
        });
        const summary = await usageSummary(db, agencyId, from, to);
        await audit('success', { returned: page.items.length, beforeSeq: req.query.beforeSeq });
        return { summary, items: page.items.map(view), nextBeforeSeq: page.nextBeforeSeq };
      },
    );
    // The audit console (issue 8 §1 "audit viewer with the chain check"). Reading the log is itself a data access:
    // both reads are audited (issue 7 §5).
    r.get(
      '/api/v1/audit/chain',
      {
        preHandler: requireStaff(['auditor', 'agency-admin']),
        schema: {
          tags: ['audit'],
          summary: '审计日志哈希链校验 / verify the audit log hash chain',
          description:
            '逐条重算 SM3 杂凑并核对链接与锚点，指出被篡改、插入或删除的记录（与 bdcert audit verify 相同）。审计人员、机构管理员、省级管理员可用。',
          response: {
            200: z
              .object({
                ok: z.boolean(),
                checked: z.number().int().meta({ description: '已校验记录数' }),
                findings: z.array(Finding),
              })
              .meta({
                example: {
                  ok: false,
                  checked: 1532,
                  findings: [
                    { id: '1024', kind: 'altered', message: '第 1024 条被篡改', messageEn: 'row seq=1024 was altered' },
                  ],
                },
              }),
            ...errors(401, 403),
          },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        const v = await verifyAuditChain(db);
        const findings = v.findings.map((f) => {
          const d = describeFindingParts(f);
          return { id: f.kind === 'removed' ? f.beforeSeq : f.seq, kind: f.kind, message: d.zh, messageEn: d.en };
        });
        await recordAudit(db, {
          actor: actorOf(p),
          action: 'audit.chain-verify',
          result: 'success',
          details: { ok: v.ok, checked: v.rows, findings: findings.length },
          ...auditRequest(req),
        });
        return { ok: v.ok, checked: v.rows, findings };
      },
    );

    r.get(
      '/api/v1/audit/entries',
      {
        preHandler: requireStaff(['auditor', 'agency-admin']),
        schema: {
          tags: ['audit'],
          summary: '审计日志查询（变更与访问记录）/ the change and access log, filtered and paged',
          description:
            '本机构的审计人员、管理员看到本机构人员的操作与涉及本机构证照的访问；省级管理员看到全部（可用 agencyId 限定机构）。按序号倒序，用 nextCursor 取下一页。',
          querystring: z.object({
            agencyId: z.uuid().optional().meta({ description: '省级管理员可指定机构' }),
            action: z
              .string()
              .trim()
              .regex(/^[A-Za-z0-9._-]+(\.\*)?$/, '操作代码格式错误||action: a code such as share.download or share.*')
              .max(100)
              .optional()
              .meta({
                description: '操作代码，如 certificate.download；以 .* 结尾表示一类，如 share.*',
                example: 'share.*',
              }),
            actor: z.string().trim().min(1).max(200).optional().meta({ description: '操作人用户ID或接口客户端ID' }),
            certificate: z.string().trim().min(1).max(64).optional().meta({ description: '证照ID' }),
            result: z.enum(['success', 'denied', 'error']).optional(),
            from: z.iso.datetime().optional().meta({ example: '2026-11-01T00:00:00.000Z' }),
            to: z.iso.datetime().optional().meta({ example: '2026-12-01T00:00:00.000Z' }),
            cursor: z
              .string()
              .regex(/^\d{1,19}$/, '分页游标无效||invalid cursor')
              .optional()
              .meta({ description: '上一页返回的 nextCursor' }),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          response: {
            200: z.object({ items: z.array(DetailEntry), nextCursor: z.string().nullable() }).meta({
              example: {
                items: [
                  {
                    seq: '1025',
                    id: '4a1d3b9f-7e2c-4d5a-9b8e-2c3d4e5f6a7b',
                    at: '2026-11-22T03:20:00.000Z',
                    actorKind: 'institution',
                    actorId: 'bdc_x1Y2z3A4b5C6',
                    actorAgencyId: null,
                    clientId: 'bdc_x1Y2z3A4b5C6',
                    action: 'share.download',
                    objectType: 'certificate',
                    objectId: EX.certificateId,
                    certificateId: EX.certificateId,
                    issuingAgencyId: EX.agencyId,
                    purpose: '抵押贷款审批',
                    caseNo: 'DK-2026-00871',
                    result: 'success',
                    reason: null,
                    ip: '10.20.3.15',
                    requestId: EX.requestId,
                    details: { institution: '工行潢川支行信贷系统', holderIdNumber: EX.idNumberMasked },
                  },
                ],
                nextCursor: '1024',
              },
            }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        const q = req.query;
        let agencyId: string | undefined;
        if (hasRole(p, 'province-admin')) agencyId = q.agencyId;
        else if (q.agencyId !== undefined && q.agencyId !== p.agencyId) throw notFoundError();
        else agencyId = p.agencyId;
        const filter = {
          ...(agencyId ? { agencyId } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.certificate ? { certificateId: q.certificate } : {}),
          ...(q.result ? { result: q.result } : {}),
          ...(q.from ? { from: new Date(q.from) } : {}),
          ...(q.to ? { to: new Date(q.to) } : {}),
          ...(q.cursor ? { beforeSeq: q.cursor } : {}),
          limit: q.limit,
        };
        const page = await listAuditEntries(db, filter);
        await recordAudit(db, {
          actor: actorOf(p),
          action: 'audit.read',
          result: 'success',
          details: {
            scope: agencyId ?? 'all',
            filters: {
              action: q.action,
              actor: q.actor,
              certificate: q.certificate,
              result: q.result,
              from: q.from,
              to: q.to,
            },
            cursor: q.cursor,
            returned: page.items.length,
          },
          ...auditRequest(req),
        });
        return { items: page.items.map(detailView), nextCursor: page.nextBeforeSeq };
      },
    );

    if (!certificates) return;
    const directory = certificates;
    r.get(
      '/api/v1/audit/certificates/:certificateId',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags: ['audit'],
          summary: '谁使用了这本证照（权利人本人或签发机构）/ who accessed this certificate (its holder or its issuer)',
          description:
            '权利人可查看本人证照的访问记录；签发机构的审计人员、管理员、登簿人员可查看本机构签发的证照。其他证照一律 404。',
          params: z.object({ certificateId: z.string().min(1).max(64) }),
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(50),
            beforeSeq: z.string().regex(/^\d+$/).optional(),
          }),
          response: {
            200: z.object({ items: z.array(Entry), nextBeforeSeq: z.string().nullable() }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req) => {
        const p = req.principal;
        const c = await directory.describe(req.params.certificateId);
        const allowed =
          c !== undefined &&
          ((p?.kind === 'holder' && c.holderKeys.includes(p.holderKey)) ||
            (['auditor', 'agency-admin', 'registrar'] as const).some((role) =>
              staffMayActFor(p, c.issuingAgencyId, role),
            ));
        // "Who accessed mine" is read by the holder or the issuer: that read is audited too (Nanyang Art. 20). The
        // certificate is the object, not certificateId, so looking at the list does not add to the list.
        const audit = (result: 'success' | 'denied', details?: Record<string, unknown>) =>
          recordAudit(db, {
            actor: actorOf(p),
            action: 'audit.certificate-read',
            objectType: 'certificate',
            objectId: req.params.certificateId,
            result,
            ...(result === 'denied' ? { reason: 'NOT_FOUND' } : {}),
            ...(details ? { details } : {}),
            ...auditRequest(req),
          });
        if (!allowed) {
          await audit('denied');
          throw notFoundError();
        }
        const page = await auditByCertificate(db, req.params.certificateId, {
          limit: req.query.limit,
          ...(req.query.beforeSeq ? { beforeSeq: req.query.beforeSeq } : {}),
        });
        await audit('success', { agencyId: c.issuingAgencyId, returned: page.items.length });
        return { items: page.items.map(view), nextBeforeSeq: page.nextBeforeSeq };
      },
    );
  };
}
