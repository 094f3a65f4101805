import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { portsFromEnv } from '../../config.js';
import { DomainError } from '../../domain/problem.js';
import { requireInstitution } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { binary, EX, errors, MIME, uploadedFile } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { openAuditSink } from '../audit/audit-writer-thread.js';
import * as sharing from './service.js';

const purpose = z
  .string({ error: '用证事由必填||purpose (用证事由) is required' })
  .trim()
  .min(2, '用证事由必填||purpose (用证事由) is required')
  .max(200)
  .meta({ description: '用证事由', example: '个人住房抵押贷款审批' });
const caseNo = z
  .string({ error: '业务编号必填||caseNo is required' })
  .trim()
  .min(1, '业务编号必填||caseNo is required')
  .max(64)
  .meta({ description: '所办理事项的业务编号', example: 'JH-DK-2026-001234' });
const holderCode = z
  .string()
  .trim()
  .min(1, '持证主体代码必填||holderCode is required')
  .max(50)
  .meta({ description: '持证主体代码（身份证号或统一社会信用代码），放在请求体中' });
const holderCodeType = z
  .string()
  .regex(/^\d{3}$/, '持证主体代码类型为3位代码||holderCodeType is a 3-digit code')
  .meta({ description: '持证主体代码类型（C0203 附录B.2），如111公民身份号码' });
const identifier = z.string().trim().min(20).max(200).meta({ description: '电子证照标识' });
const Use = { purpose, caseNo, holderCode, holderCodeType };

const EX_SUMMARY = {
  identifier: EX.identifier,
  certificateNo: EX.certificateNo,
  kind: 'property-certificate',
  status: 'issued',
  statusName: '有效',
  issuer: EX.agencyName,
  registeredOn: '20261120',
  location: EX.location,
  holders: EX.holderMasked,
};

const Summary = z
  .object({
    identifier: z.string(),
    certificateNo: z.string(),
    kind: z.string(),
    status: z.string(),
    statusName: z.string(),
    issuer: z.string(),
    registeredOn: z.string(),
    location: z.string(),
    holders: z.string(),
  })
  .meta({ example: EX_SUMMARY });

const USE_EXAMPLE = {
  purpose: '个人住房抵押贷款审批',
  caseNo: 'JH-DK-2026-001234',
  holderCode: EX.idNumber,
  holderCodeType: '111',
};

const UploadedFile = uploadedFile('OFD 文件 / the OFD file');

const FileVerification = z
  .object({
    verdict: z
      .enum(['valid', 'invalid', 'untrusted'])
      .meta({ description: '结论：valid 有效 · invalid 无效 · untrusted 无法确认可信 / verdict, as the CLI verifier' }),
    valid: z.boolean(),
    checks: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        titleEn: z.string(),
        status: z.enum(['passed', 'failed', 'skipped']),
        reason: z.string().optional(),
      }),
    ),
    meta: z.object({
      ZZBH: z.string().nullable().meta({ description: '证照编号' }),
      ZZBS: z.string().nullable().meta({ description: '电子证照标识' }),
    }),
    seal: z.object({ name: z.string(), esId: z.string(), signingTime: z.string() }).nullable(),
  })
  .meta({
    example: {
      verdict: 'valid',
      valid: true,
      checks: [
        { id: 'package', title: 'OFD文件结构', titleEn: 'OFD package structure', status: 'passed' },
        {
          id: 'ses',
          title: '电子签章验证（GB/T 38540）',
          titleEn: 'electronic signature (GB/T 38540)',
          status: 'passed',
        },
        {
          id: 'record',
          title: '与登记记录一致、证照状态有效',
          titleEn: 'matches the register record and is valid',
          status: 'passed',
        },
      ],
      meta: { ZZBH: EX.certificateNo, ZZBS: EX.identifier },
      seal: {
        name: '潢川县自然资源局不动产登记专用章',
        esId: '4115260000001',
        signingTime: '2026-11-20T10:00:00.000Z',
      },
    },
  });

const tags = ['sharing'];
const meta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });
const institution = (req: FastifyRequest) => {
  const p = req.principal;
  if (p?.kind !== 'institution')
    throw new ApiError('UNAUTHENTICATED', '请提供用证单位凭证', 'Institution credentials required');
  return p;
};
const notFound = (e: unknown) => {
  if (e instanceof DomainError && e.code === 'NOT_FOUND')
    throw new ApiError('NOT_FOUND', e.message, e.messageEn, e.field);
  throw e;
};
const useOf = (b: { purpose: string; caseNo: string; holderCode: string; holderCodeType: string }) => ({
  purpose: b.purpose,
  caseNo: b.caseNo,
  holderCode: b.holderCode,
  holderCodeType: b.holderCodeType,
});

/** `/api/v1/share/*`: the four C0124 interfaces for institutions (client credentials or SM2-signed requests). */
export interface RateLimits {
  /** Requests per minute per institution client on /api/v1/share/* (agreement clients are few and known). */
  readonly sharePerMinute: number;
  /** Requests per minute per IP on the public verification endpoints. */
  readonly publicPerMinute: number;
}

/** BDCERT_SHARE_RATE_LIMIT / BDCERT_PUBLIC_RATE_LIMIT through the typed configuration (a bad value stops the start). */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimits {
  return portsFromEnv(env).rateLimits;
}

export function sharingRoutes(
  deps: sharing.SharingDeps,
  auth: (app: App) => void,
  limits: RateLimits = rateLimitsFromEnv(),
): (app: App) => Promise<void> {
  return async (app) => {
    auth(app);
    // Per-client limits (issue 7 §3): counted after authentication, keyed by the client, else by address.
    // In-process counters; several instances behind a balancer would point this at Redis (DESIGN.md "Scale").
    await app.register(rateLimit, {
      global: false,
      hook: 'preHandler',
      keyGenerator: (req) =>
        req.principal?.kind === 'institution' ? `client:${req.principal.clientId}` : `ip:${req.ip}`,
      errorResponseBuilder: (req, ctx) =>
        new ApiError(
          'RATE_LIMITED',
          `请求过于频繁，请${Math.ceil(ctx.ttl / 1000)}秒后再试`,
          `Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        ) as unknown as object & { statusCode: number },
    });
    const shareLimit = { rateLimit: { max: limits.sharePerMinute, timeWindow: '1 minute' } };
    const publicLimit = { rateLimit: { max: limits.publicPerMinute, timeWindow: '1 minute' } };
    const { store, config } = deps.issuance.ctx;
    const publicAudit = openAuditSink(store, config.databaseUrl, {
      onError: (e) =>
        app.log.error({ err: e, waiting: publicAudit.waiting }, 'public verification audit failed; retrying'),
    });
    app.addHook('onClose', async () => {
      const lost = await publicAudit.close();
      if (lost > 0) app.log.fatal({ lost }, 'public verification audit entries could not be written before shutdown');
    });
    const reads = new sharing.PublicReads(deps);
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/share/search',
      {
        schema: {
          tags,
          summary: '检索：按持证主体查询证照 / search a holder’s certificates',
          body: z
            .object({ ...Use, certificateType: z.enum(['property-certificate', 'registration-proof']).optional() })
            .meta({
              example: {
                purpose: '个人住房抵押贷款审批',
                caseNo: 'JH-DK-2026-001234',
                holderCode: '11010519491231002X',
                holderCodeType: '111',
              },
            }),
          response: { 200: z.object({ items: z.array(Summary) }), ...errors(400, 401, 403) },
        },
        preHandler: requireInstitution('search'),
        config: shareLimit,
      },
      async (req) => ({
        items: await sharing.search(deps, institution(req), useOf(req.body), req.body.certificateType, meta(req)),
      }),
    );
    r.post(
      '/api/v1/share/info',
      {
        schema: {
          tags,
          summary: '信息获取：获取证照照面信息 / retrieve face data',
          body: z.object({ ...Use, identifier, fields: z.array(z.string()).max(60).optional() }),
          response: {
            200: z.object({ summary: Summary, face: z.record(z.string(), z.unknown()) }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireInstitution('info'),
        config: shareLimit,
      },
      async (req) =>
        sharing
          .info(deps, institution(req), req.body.identifier, useOf(req.body), req.body.fields, meta(req))
          .catch(notFound),
    );
    r.post(
      '/api/v1/share/download',
      {
        schema: {
          tags,
          summary: '下载：获取加注件（注明用证单位、事由、有效期并重新签章）/ download the annotated copy',
          body: z.object({ ...Use, identifier, format: z.enum(['ofd', 'pdf']).default('ofd') }).meta({
            example: { ...USE_EXAMPLE, identifier: EX.identifier, format: 'ofd' },
          }),
          response: {
            200: binary(
              '加注件（OFD 或 PDF，响应头 x-annotation-expires 为有效期）/ the annotated copy; x-annotation-expires gives its end',
              MIME.ofd,
              MIME.pdf,
            ),
            ...errors(400, 401, 403, 404, 429),
          },
        },
        preHandler: requireInstitution('download'),
        config: shareLimit,
      },
      async (req, reply) => {
        const p = institution(req);
        const d = await sharing
          .download(deps, p, req.body.identifier, useOf(req.body), p.institutionName, meta(req))
          .catch(notFound);
        return reply
          .type(req.body.format === 'pdf' ? 'application/pdf' : 'application/ofd')
          .header(
            'content-disposition',
            `attachment; filename*=UTF-8''${encodeURIComponent(`${d.summary.certificateNo}_加注件.${req.body.format}`)}`,
          )
          .header('x-annotation-expires', d.expires.toISOString())
          .send(Buffer.from(req.body.format === 'pdf' ? d.pdf : d.ofd));
      },
    );
    r.post(
      '/api/v1/share/verify',
      {
        schema: {
          tags,
          summary: '信息验证：逐项比对提交的照面信息 / verify submitted face items',
          body: z.object({
            ...Use,
            identifier,
            face: z
              .record(z.string(), z.unknown())
              .meta({ example: { certificateNo: '豫(2026)潢川县不动产权第0000123号', area: 98.56 } }),
          }),
          response: {
            200: z.object({ summary: Summary, matches: z.record(z.string(), z.boolean()), allMatch: z.boolean() }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireInstitution('verify'),
        config: shareLimit,
      },
      async (req) =>
        sharing
          .verifyFields(deps, institution(req), req.body.identifier, useOf(req.body), req.body.face, meta(req))
          .catch(notFound),
    );

    // Public verification (查询二维码, issue 7 §4): status and masked facts, no sign-in; a file upload is checked too.
    r.get(
      '/api/v1/verify/:token',
      {
        schema: {
          tags: ['verification'],
          summary: '扫码核验（公开）：证照状态与脱敏信息 / public status behind a QR token',
          params: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) }),
          response: {
            200: Summary.extend({ unitNo: z.string(), sealedAt: z.string().nullable() }).meta({
              example: { ...EX_SUMMARY, unitNo: EX.unitNo, sealedAt: EX.at },
            }),
            ...errors(400, 404),
          },
        },
        // Each successful hit is an audit entry (below), which is its access record: no access-log line repeats it.
        config: { ...publicLimit, auditedAccess: true },
        // The handler builds exactly the documented shape (sharing.PublicStatus, checked by the compiler); a zod
        // encode pass over it on every scan is measurable on the platform's hottest route, JSON.stringify is enough.
        // Error bodies are unaffected (they have their own status codes and no schema here).
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (req) => {
        // Public reads are many: they are audited through a buffer (batched appends to the chain). When the buffer
        // cannot take more (the database has refused audit writes for a while), the read is refused, not served
        // unaudited.
        if (!publicAudit.accepting)
          throw new ApiError(
            'NOT_READY',
            '核验服务暂不可用，请稍后再试',
            'Verification is unavailable, try again later',
          );
        const s = await sharing.publicStatus(
          deps,
          req.params.token,
          (c) =>
            publicAudit.add({
              actor: { kind: 'anonymous' },
              action: 'verify.public',
              objectType: 'certificate',
              objectId: c.id,
              certificateId: c.id,
              issuingAgencyId: c.agency_id,
              result: 'success',
              ip: req.ip,
              requestId: req.id,
            }),
          reads,
        );
        if (!s) throw new ApiError('NOT_FOUND', '未找到该证照，请确认二维码', 'No certificate for this code');
        return s;
      },
    );
    r.post(
      '/api/v1/verify/file',
      {
        schema: {
          tags: ['verification'],
          summary: '上传OFD文件核验（公开）/ verify an uploaded OFD file',
          description:
            '请求体为OFD文件的原始字节（Content-Type: application/ofd 或 application/octet-stream）。verdict 与命令行核验工具相同：valid 有效、invalid 无效（有检查项未通过）、untrusted 无法确认（无检查项失败，但印章证书未能校验至信任根）。The body is the OFD file itself; `verdict` is the CLI verifier’s: valid, invalid (a check failed) or untrusted (nothing failed but the chain to a trusted root was not checked).',
          consumes: [MIME.ofd, 'application/octet-stream'],
          body: UploadedFile,
          response: { 200: FileVerification, ...errors(400, 413, 415, 429) },
        },
        config: publicLimit,
      },
      async (req) => {
        const body = req.body;
        if (!Buffer.isBuffer(body) || !body.length)
          throw new ApiError('BAD_REQUEST', '请上传OFD文件', 'Upload an OFD file', 'file');
        const v = await sharing.verifyUploadedFile(deps, new Uint8Array(body));
        return {
          verdict: v.verdict,
          valid: v.valid,
          checks: [...v.checks],
          meta: { ZZBH: v.meta.ZZBH ?? null, ZZBS: v.meta.ZZBS ?? null },
          seal: v.seal ?? null,
        };
      },
    );
    app.addContentTypeParser(
      ['application/ofd', 'application/octet-stream', 'application/zip'],
      { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );
  };
}
