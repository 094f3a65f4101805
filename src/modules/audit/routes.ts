import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { staffMayActFor } from '../../domain/access.js';
import { notFoundError, requireAuthenticated, requireStaff, staffPrincipal } from '../../http/auth.js';
import type { App } from '../../http/server.js';
import type { Database } from '../../store/schema.js';
import type { CertificateDirectory } from '../objections/service.js';
import { type AuditEntryView, auditByCertificate, auditByIssuer, usageSummary } from './audit.js';

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
          },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        const agencyId = req.query.agencyId ?? p.agencyId;
        if (!staffMayActFor(p, agencyId, 'auditor') && !staffMayActFor(p, agencyId, 'agency-admin'))
          throw notFoundError();
        const from = new Date(req.query.from);
        const to = new Date(req.query.to);
        const page = await auditByIssuer(db, agencyId, {
          from,
          to,
          limit: req.query.limit,
          ...(req.query.beforeSeq ? { beforeSeq: req.query.beforeSeq } : {}),
        });
        return {
          summary: await usageSummary(db, agencyId, from, to),
          items: page.items.map(view),
          nextBeforeSeq: page.nextBeforeSeq,
        };
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
          response: { 200: z.object({ items: z.array(Entry), nextBeforeSeq: z.string().nullable() }) },
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
        if (!allowed) throw notFoundError();
        const page = await auditByCertificate(db, req.params.certificateId, {
          limit: req.query.limit,
          ...(req.query.beforeSeq ? { beforeSeq: req.query.beforeSeq } : {}),
        });
        return { items: page.items.map(view), nextBeforeSeq: page.nextBeforeSeq };
      },
    );
  };
}
