import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkSealPng } from '../../documents/seal-image.js';
import { notFoundError, requireStaff, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { binary, EX, errors, MIME } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import * as repo from './repository.js';
import { type CatalogDeps, changeSealStatus, createSeal, getAgency, renewSeal, replaceSeal } from './service.js';

const Agency = z
  .object({
    id: z.uuid(),
    name: z.string().meta({ description: '登记机构名称' }),
    uscc: z.string().meta({ description: '统一社会信用代码' }),
    regionCode: z.string().meta({ description: '行政区划代码 (GB/T 2260)' }),
    level: z.enum(['national', 'province', 'city', 'county']).meta({ description: '级别：国家/省/市/县' }),
    provinceAbbr: z.string().meta({ description: '省份简称' }),
    cityCountyName: z.string().meta({ description: '市县全称' }),
    sealName: z.string().meta({ description: '备案印章名称' }),
    sealingMode: z.enum(['scheduled', 'realtime']).meta({ description: '签章方式：定时批量 / 实时' }),
    sealingTimes: z.array(z.string()).meta({ description: '定时批量签章时间（默认 12:00、18:00）' }),
  })
  .meta({
    example: {
      id: EX.agencyId,
      name: EX.agencyName,
      uscc: EX.agencyUscc,
      regionCode: EX.regionCode,
      level: 'county',
      provinceAbbr: '豫',
      cityCountyName: '潢川县',
      sealName: '潢川县自然资源局不动产登记专用章',
      sealingMode: 'scheduled',
      sealingTimes: ['12:00', '18:00'],
    },
  });

export const Seal = z
  .object({
    id: z.uuid(),
    agencyId: z.uuid(),
    esId: z.string().meta({ description: '印章编码（与实物印章编号相同）' }),
    name: z.string(),
    status: z
      .enum(['active', 'suspended', 'revoked'])
      .meta({ description: 'active 有效 · suspended 停用 · revoked 注销' }),
    validFrom: z.iso.datetime(),
    validTo: z.iso.datetime(),
    replacesId: z.uuid().nullable(),
    filingNo: z.string().nullable().meta({ description: '国家印章备案号' }),
    filedAt: z.iso.datetime().nullable(),
    statusReason: z.string().nullable(),
    imageUrl: z.string(),
  })
  .meta({
    example: {
      id: EX.sealId,
      agencyId: EX.agencyId,
      esId: '4115260000001',
      name: '潢川县自然资源局不动产登记专用章',
      status: 'active',
      validFrom: '2026-01-01T00:00:00.000Z',
      validTo: '2029-01-01T00:00:00.000Z',
      replacesId: null,
      filingNo: 'SIM-1A2B3C4D5E6F7A8B',
      filedAt: '2026-01-01T00:00:05.000Z',
      statusReason: null,
      imageUrl: `/api/v1/seals/${EX.sealId}/image.png`,
    },
  });

const agencyOut = (a: repo.AgencyRow) => ({
  id: a.id,
  name: a.name,
  uscc: a.uscc,
  regionCode: a.region_code,
  level: a.level,
  provinceAbbr: a.province_abbr,
  cityCountyName: a.city_county_name,
  sealName: a.seal_name,
  sealingMode: a.sealing_mode,
  sealingTimes: a.sealing_times,
});

export const sealOut = (s: repo.SealRow) => ({
  id: s.id,
  agencyId: s.agency_id,
  esId: s.es_id,
  name: s.name,
  status: s.status,
  validFrom: s.valid_from.toISOString(),
  validTo: s.valid_to.toISOString(),
  replacesId: s.replaces_id,
  filingNo: s.filing_no,
  filedAt: s.filed_at?.toISOString() ?? null,
  statusReason: s.status_reason,
  imageUrl: `/api/v1/seals/${s.id}/image.png`,
});

const AgencyParams = z.object({ agencyId: z.uuid() });
const SealParams = z.object({ sealId: z.uuid() });
const tags = ['catalog'];

/** Agencies and the seal registry (issue 4 §6). Changing a seal needs the agency admin of that agency. */
export function catalogRoutes(deps: CatalogDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    // Another agency's seal answers 404, like a missing one.
    const sealAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
      const seal = await repo.findSeal(deps.ctx.store.db, (req.params as { sealId: string }).sealId);
      await requireStaff('agency-admin', () => seal?.agency_id ?? NO_AGENCY)(req, reply);
      if (!seal) throw notFoundError();
    };

    r.get(
      '/api/v1/agencies',
      {
        schema: {
          tags,
          summary: '登记机构列表（公开）/ registration agencies (public)',
          response: { 200: z.object({ items: z.array(Agency) }), ...errors(429) },
        },
      },
      async () => ({ items: (await repo.listAgencies(deps.ctx.store.db)).map(agencyOut) }),
    );

    r.get(
      '/api/v1/agencies/:agencyId/seals',
      {
        schema: {
          tags,
          summary: '机构电子印章列表 / an agency’s seals',
          params: AgencyParams,
          response: { 200: z.object({ items: z.array(Seal) }), ...errors(400, 401, 403, 404) },
        },
        preHandler: requireStaff(
          ['agency-admin', 'sealing-clerk', 'auditor'],
          (req) => (req.params as { agencyId: string }).agencyId,
        ),
      },
      async (req) => ({ items: (await repo.listSeals(deps.ctx.store.db, req.params.agencyId)).map(sealOut) }),
    );

    r.post(
      '/api/v1/agencies/:agencyId/seals',
      {
        schema: {
          tags,
          summary: '制作电子印章并向国家印章系统备案 / make a seal and file it with the national seal registry',
          params: AgencyParams,
          body: z
            .object({
              esId: z
                .string()
                .regex(
                  /^[0-9A-Za-z-]{4,40}$/,
                  '印章编码应为4–40位字母、数字或连字符||seal code: 4–40 letters, digits or hyphens',
                ),
              name: z.string().min(1).max(100),
              validFrom: z.iso.datetime().optional(),
              validTo: z.iso.datetime(),
              imagePngBase64: z
                .string()
                .optional()
                .meta({ description: '扫描印章图片（带透明通道的PNG，base64）；缺省时自动生成' }),
            })
            .meta({
              example: {
                esId: '4115260000002',
                name: '潢川县自然资源局不动产登记专用章',
                validTo: '2029-12-31T16:00:00Z',
              },
            }),
          response: { 201: Seal, ...errors(400, 401, 403, 404) },
        },
        preHandler: requireStaff('agency-admin', (req) => (req.params as { agencyId: string }).agencyId),
      },
      async (req, reply) => {
        await getAgency(deps.ctx, req.params.agencyId);
        const p = staffPrincipal(req);
        const seal = await createSeal(deps, {
          agencyId: req.params.agencyId,
          esId: req.body.esId,
          name: req.body.name,
          validFrom: req.body.validFrom ? new Date(req.body.validFrom) : deps.ctx.now(),
          validTo: new Date(req.body.validTo),
          ...(req.body.imagePngBase64 ? { picturePng: checkedPng(req.body.imagePngBase64) } : {}),
          actor: actorOf(p),
        });
        return reply.status(201).send(sealOut(seal));
      },
    );

    r.post(
      '/api/v1/seals/:sealId/renew',
      {
        schema: {
          tags,
          summary: '印章续期（旧章停用但仍可验证）/ renew a seal (the old one stays verifiable)',
          params: SealParams,
          body: z
            .object({ validTo: z.iso.datetime(), reason: z.string().min(1).max(500) })
            .meta({ example: { validTo: '2032-12-31T16:00:00Z', reason: '有效期届满续期' } }),
          response: { 201: Seal, ...errors(400, 401, 403, 404) },
        },
        preHandler: sealAdmin,
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const seal = await renewSeal(deps, req.params.sealId, {
          validTo: new Date(req.body.validTo),
          reason: req.body.reason,
          actor: actorOf(p),
        });
        return reply.status(201).send(sealOut(seal));
      },
    );

    r.post(
      '/api/v1/seals/:sealId/replace',
      {
        schema: {
          tags,
          summary:
            '更换印章：新印章编码（实物印章重新刻制），旧章停用但仍可验证 / replace a seal with a new code (the old one stays verifiable)',
          params: SealParams,
          body: z
            .object({
              esId: z
                .string()
                .regex(
                  /^[0-9A-Za-z-]{4,40}$/,
                  '印章编码应为4–40位字母、数字或连字符||seal code: 4–40 letters, digits or hyphens',
                ),
              validTo: z.iso.datetime(),
              reason: z.string().min(1).max(500),
              imagePngBase64: z.string().optional(),
            })
            .meta({
              example: { esId: '4115260000003', validTo: '2030-12-31T16:00:00Z', reason: '实物印章遗失后重新刻制' },
            }),
          response: { 201: Seal, ...errors(400, 401, 403, 404) },
        },
        preHandler: sealAdmin,
      },
      async (req, reply) => {
        const seal = await replaceSeal(deps, req.params.sealId, {
          esId: req.body.esId,
          validTo: new Date(req.body.validTo),
          reason: req.body.reason,
          ...(req.body.imagePngBase64 ? { picturePng: checkedPng(req.body.imagePngBase64) } : {}),
          actor: actorOf(staffPrincipal(req)),
        });
        return reply.status(201).send(sealOut(seal));
      },
    );

    r.post(
      '/api/v1/seals/:sealId/status',
      {
        schema: {
          tags,
          summary: '停用、恢复或注销印章 / suspend, reactivate or revoke a seal',
          params: SealParams,
          body: z
            .object({ status: z.enum(['active', 'suspended', 'revoked']), reason: z.string().min(1).max(500) })
            .meta({ example: { status: 'revoked', reason: '实物印章遗失，已登报声明作废' } }),
          response: { 200: Seal, ...errors(400, 401, 403, 404) },
        },
        preHandler: sealAdmin,
      },
      async (req) => {
        await changeSealStatus(deps, req.params.sealId, req.body.status, req.body.reason, actorOf(staffPrincipal(req)));
        return sealOut((await repo.findSeal(deps.ctx.store.db, req.params.sealId))!);
      },
    );

    // The seal picture is printed on every certificate, so it is public.
    r.get(
      '/api/v1/seals/:sealId/image.png',
      {
        schema: {
          tags,
          summary: '印章图片（公开）/ seal picture (public)',
          params: SealParams,
          response: { 200: binary('印章图片（PNG，透明底）/ the seal picture (PNG)', MIME.png), ...errors(400, 404) },
        },
      },
      async (req, reply) => {
        const s = await repo.findSeal(deps.ctx.store.db, req.params.sealId);
        if (!s) return reply.callNotFound();
        return reply
          .type('image/png')
          .header('cache-control', 'public, max-age=86400')
          .send(Buffer.from(s.picture_png));
      },
    );
  };
}

const NO_AGENCY = '00000000-0000-0000-0000-000000000000';

function checkedPng(b64: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  try {
    checkSealPng(bytes);
  } catch (e) {
    const [zh, en] = (e as Error).message.split(' / ');
    throw new ApiError('VALIDATION_FAILED', zh ?? '印章图片无效', en ?? 'invalid seal image', 'imagePngBase64');
  }
  return bytes;
}
