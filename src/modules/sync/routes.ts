import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';
import { requireStaff, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { EX, errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import type { SyncModule } from './index.js';
import * as library from './library.js';
import { digestOf, EnrolRequest, Envelope, SignedRequest, SignedResponse, signResponse } from './protocol.js';

/**
 * `/api/v1/sync/*` (docs/sync.md "API"). Handlers are thin: they validate (zod, shown in the OpenAPI document) and
 * call the sync module. Node-to-node endpoints authenticate by signature (envelopes, signed requests), not by
 * session; administration needs a staff session with the role named on each route.
 */
const tags = ['sync'];
const meta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });
const Region = z.string().regex(/^\d{2,6}$/, '行政区划代码前缀为2–6位数字||region prefix: 2–6 digits');

// ---- examples (the sample certificate of src/http/openapi.ts travelling from the city to the province) ----

/** A certificate.state payload as the city sends it (cut to the items a reader looks for). */
const EX_STATE = {
  identifier: EX.identifier,
  kind: 'property-certificate',
  version: 1,
  certificateNo: EX.certificateNo,
  status: 'issued',
  catalogStatus: 11,
  collected: false,
  pledged: false,
  matter: null,
  unitNo: EX.unitNo,
  location: EX.location,
  registeredOn: '20261120',
  statusReason: null,
  agency: { uscc: EX.agencyUscc, name: EX.agencyName, regionCode: EX.regionCode, level: 'county' },
  seal: { esId: EX.esId, name: EX.sealName },
};
const EX_ENVELOPE = {
  v: 1,
  node: EX.cityNodeId,
  seq: '1042',
  type: 'certificate.state',
  id: EX.identifier,
  event: 'certificate.seal',
  at: EX.at,
  payloadSm3: digestOf(EX_STATE),
  payload: EX_STATE,
  signature: EX.sm2Signature,
};
const signedBy = (node: string, payload: Record<string, unknown>) => ({
  node,
  at: '2026-11-20T10:00:05.000Z',
  payload,
  signature: EX.sm2Signature,
});
const requestBy = (node: string, payload: Record<string, unknown>) => ({
  ...signedBy(node, payload),
  nonce: EX.nonce,
});
const EX_REFUSED = {
  seq: '1043',
  outcome: 'rejected',
  error: {
    code: 'OUT_OF_REGION',
    message: '登记机构行政区划 411302 不在该节点注册的辖区内',
    messageEn: "Agency region 411302 is outside the node's enrolled regions",
    field: 'agency.regionCode',
  },
};
const EX_BATCH = { node: EX.cityNodeId, messages: [EX_ENVELOPE] };
const EX_PUSH_ANSWER = signedBy(EX.provinceNodeId, {
  ack: '1042',
  results: [{ seq: '1042', outcome: 'applied' }, EX_REFUSED],
});
const EX_DAY = { day: '2026-11-20', count: 37, digest: EX.sm3 };

const Batch = z
  .object({
    node: z.string().min(2).max(63).meta({ description: '发送节点标识' }),
    messages: z.array(Envelope).min(1).max(1000).meta({ description: '按序号排列的签名消息' }),
  })
  .meta({ description: '一批同步消息（至少一次投递，按（节点，序号）幂等）', example: EX_BATCH });

const Report = z
  .object({
    id: z.uuid(),
    status: z.enum(['ok', 'diverged', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string(),
    daysCompared: z.number(),
    certificates: z.number(),
    diverging: z.array(
      z.object({
        day: z.string(),
        city: z.object({ count: z.number(), digest: z.string() }),
        province: z.object({ count: z.number(), digest: z.string() }),
        missing: z.number().meta({ description: '市级有、省级缺' }),
        different: z.number().meta({ description: '状态或版本不一致' }),
        extra: z.number().meta({ description: '省级有、市级无' }),
      }),
    ),
    repaired: z.number(),
    inFlight: z.number(),
    error: z.string().optional(),
  })
  .meta({
    example: {
      id: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f',
      status: 'diverged',
      startedAt: '2026-11-20T16:00:00.000Z',
      finishedAt: '2026-11-20T16:00:02.000Z',
      daysCompared: 30,
      certificates: 1186,
      diverging: [
        {
          day: '2026-11-20',
          city: { count: 37, digest: EX.sm3 },
          province: { count: 36, digest: EX.sm3b },
          missing: 1,
          different: 0,
          extra: 0,
        },
      ],
      repaired: 1,
      inFlight: 0,
      error: '省级节点缺少 豫(2026)潢川县不动产权第0000123号，已补发 / the province lacked one certificate: resent',
    },
  });

export function syncRoutes(sync: SyncModule, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { ctx } = sync.sharing.issuance;
    const signed = (payload: object) =>
      signResponse(sync.sharing.issuance.nodeSigner, ctx.config.sync.nodeId, payload, ctx.now());

    r.get(
      '/api/v1/sync/status',
      {
        schema: {
          tags,
          summary: '同步状态：延迟、最近成功、失败、积压 / sync status: lag, last success, failures, backlog',
          description:
            '市级节点：向省级节点推送的进度（已编号/已确认序号、积压消息数、最早未确认事件的延迟秒数、连续失败次数与最近错误）；省级节点：各市级节点的接收进度与被拒消息；以及最近的对账结果。',
          response: {
            200: z.record(z.string(), z.unknown()).meta({
              example: {
                role: 'city',
                nodeId: EX.cityNodeId,
                nodeName: EX.cityName,
                mode: 'realtime',
                times: [],
                now: '2026-11-20T10:05:00.000Z',
                upstream: {
                  provinceNodeId: EX.provinceNodeId,
                  provinceUrl: EX.provinceUrl,
                  joinedAt: '2026-11-01T08:00:00.000Z',
                  lastSeq: '1043',
                  ackedSeq: '1042',
                  lagMessages: 1,
                  backlog: { unsequenced: 0, unacknowledged: 1 },
                  lagSeconds: 300,
                  lastAttemptAt: '2026-11-20T10:00:05.000Z',
                  lastSuccessAt: '2026-11-20T10:00:05.000Z',
                  consecutiveFailures: 0,
                  failuresTotal: '2',
                  lastError: 'seq 1043: OUT_OF_REGION 登记机构行政区划 411302 不在该节点注册的辖区内',
                  lastErrorAt: '2026-11-20T10:00:05.000Z',
                  nextAttemptAt: null,
                  pushedTotal: '1043',
                },
                peers: [],
                reconciliations: [],
              },
            }),
            ...errors(401, 403),
          },
        },
        preHandler: requireStaff(['agency-admin', 'auditor']),
      },
      async () => sync.status(),
    );

    if (sync.isProvince) {
      r.post(
        '/api/v1/sync/enrolment-tokens',
        {
          schema: {
            tags,
            summary: '签发市级节点注册令牌（省级管理员）/ issue a one-time enrolment token for a city',
            body: z
              .object({
                label: z.string().trim().min(1).max(100).meta({ description: '用途说明，如“信阳市电子证照系统”' }),
                regionCodes: z.array(Region).min(1).max(50).meta({ description: '授权的行政区划代码前缀' }),
                ttlHours: z.number().int().min(1).max(720).default(72).meta({ description: '有效小时数' }),
              })
              .meta({ example: { label: '信阳市电子证照系统', regionCodes: ['4115'], ttlHours: 72 } }),
            response: {
              201: z
                .object({
                  token: z.string().meta({ description: '一次性注册令牌（仅此一次显示）' }),
                  expiresAt: z.string(),
                })
                .meta({
                  description: '交给“信阳市电子证照系统”的管理员 / hand it to the city’s administrator',
                  example: { token: EX.enrolmentToken, expiresAt: '2026-11-23T10:00:00.000Z' },
                }),
              ...errors(400, 401, 403),
            },
          },
          preHandler: requireStaff('province-admin'),
        },
        async (req, reply) => {
          const t = await sync.createToken({ ...req.body, actor: actorOf(staffPrincipal(req)) });
          return reply.status(201).send({ token: t.token, expiresAt: t.expiresAt.toISOString() });
        },
      );

      r.post(
        '/api/v1/sync/enrol',
        {
          schema: {
            tags,
            summary: '市级节点注册并交换公钥（凭一次性令牌）/ a city enrols and exchanges SM2 keys',
            description:
              '请求以市级节点自己的SM2私钥签名（证明持有）；应答以省级节点私钥签名，其公钥指纹已写在令牌中。',
            body: EnrolRequest.meta({
              example: {
                token: EX.enrolmentToken,
                nodeId: EX.cityNodeId,
                name: EX.cityName,
                regionCodes: ['4115'],
                baseUrl: EX.cityUrl,
                publicKey: EX.sm2PublicKey2,
                at: '2026-11-20T09:59:58.000Z',
                signature: EX.sm2Signature,
              },
            }),
            response: {
              200: SignedResponse.meta({
                example: signedBy(EX.provinceNodeId, {
                  provinceNodeId: EX.provinceNodeId,
                  name: EX.provinceName,
                  publicKey: EX.sm2PublicKey,
                  regionCodes: ['4115'],
                  cityNodeId: EX.cityNodeId,
                }),
              }),
              ...errors(400, 401, 403),
            },
          },
        },
        async (req) => sync.enrol(req.body, meta(req)),
      );

      r.post(
        '/api/v1/sync/push',
        {
          schema: {
            tags,
            summary: '接收市级节点推送的目录与照面信息 / receive a city’s batch of signed messages',
            description:
              '每条消息以发送节点的SM2密钥签名；按（节点，序号）幂等；应答为已连续收到的最高序号（签名），发送方从该序号后续传。',
            body: Batch,
            response: { 200: SignedResponse.meta({ example: EX_PUSH_ANSWER }), ...errors(400, 401, 403) },
          },
        },
        async (req) => signed(await sync.receive(req.body.node, req.body.messages, meta(req))),
      );

      r.post(
        '/api/v1/sync/reconcile',
        {
          schema: {
            tags,
            summary: '对账：比对某市按日的证照数量与摘要 / compare a city’s per-day counts and digests',
            body: SignedRequest.meta({
              example: requestBy(EX.cityNodeId, { days: [EX_DAY], window: ['2026-11-20'] }),
            }),
            response: {
              200: SignedResponse.meta({
                example: signedBy(EX.provinceNodeId, {
                  compared: 1,
                  certificates: 36,
                  diverging: [
                    {
                      day: '2026-11-20',
                      province: { count: 36, digest: EX.sm3b },
                      lines: [
                        {
                          identifier: '1.2.156.3005.2.11100000MB03271699001.11411526MB1A00028N.20260000122.001.M',
                          status: 'issued',
                          version: 1,
                        },
                      ],
                    },
                  ],
                }),
              }),
              ...errors(400, 401, 403),
            },
          },
        },
        async (req) => sync.answerReconcile(req.body, meta(req)),
      );

      r.get(
        '/api/v1/sync/library/certificates',
        {
          schema: {
            tags,
            summary: '省级证照库：汇聚的证照目录（不含证件号）/ the province library’s catalog',
            querystring: z.object({
              node: z.string().max(63).optional().meta({ description: '所属市级节点' }),
              status: z.string().max(20).optional(),
              identifier: z.string().max(200).optional(),
              page: z.coerce.number().int().min(1).default(1),
              pageSize: z.coerce.number().int().min(1).max(500).default(50),
            }),
            response: {
              200: z
                .object({
                  total: z.number(),
                  items: z.array(
                    z.object({
                      identifier: z.string(),
                      node: z.string(),
                      certificateNo: z.string(),
                      kind: z.string(),
                      version: z.number(),
                      status: z.string(),
                      statusName: z.string(),
                      agencyUscc: z.string(),
                      holders: z.string(),
                      registeredOn: z.string(),
                      day: z.string(),
                      sealedAt: z.string().nullable(),
                      sourceCreatedAt: z.string(),
                      firstSeenAt: z.string(),
                      updatedAt: z.string(),
                    }),
                  ),
                })
                .meta({
                  example: {
                    total: 1,
                    items: [
                      {
                        identifier: EX.identifier,
                        node: EX.cityNodeId,
                        certificateNo: EX.certificateNo,
                        kind: 'property-certificate',
                        version: 1,
                        status: 'issued',
                        statusName: '有效',
                        agencyUscc: EX.agencyUscc,
                        holders: EX.holderMasked,
                        registeredOn: '20261120',
                        day: '2026-11-20',
                        sealedAt: EX.at,
                        sourceCreatedAt: '2026-11-20T09:58:00.000Z',
                        firstSeenAt: '2026-11-20T10:00:05.000Z',
                        updatedAt: '2026-11-20T10:00:05.000Z',
                      },
                    ],
                  },
                }),
              ...errors(400, 401, 403),
            },
          },
          preHandler: requireStaff(['province-admin', 'auditor']),
        },
        async (req) => {
          const q = req.query;
          const { rows, total } = await library.searchLibrary(ctx.store.db, {
            ...(q.node ? { nodeId: q.node } : {}),
            ...(q.status ? { status: q.status } : {}),
            ...(q.identifier ? { identifier: q.identifier } : {}),
            limit: q.pageSize,
            offset: (q.page - 1) * q.pageSize,
          });
          return {
            total,
            items: rows.map((c) => ({
              identifier: c.identifier,
              node: c.node_id,
              certificateNo: c.certificate_no,
              kind: c.kind,
              version: c.version,
              status: c.status,
              statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
              agencyUscc: c.agency_uscc,
              holders: c.holder_display,
              registeredOn: c.registered_on,
              day: c.day,
              sealedAt: c.sealed_at?.toISOString() ?? null,
              sourceCreatedAt: c.source_created_at.toISOString(),
              firstSeenAt: c.first_seen_at.toISOString(),
              updatedAt: c.updated_at.toISOString(),
            })),
          };
        },
      );
    }

    if (sync.isCity) {
      r.post(
        '/api/v1/sync/join',
        {
          schema: {
            tags,
            summary: '本市级节点注册到省级节点 / join this city node to its province',
            body: z
              .object({
                provinceUrl: z.url().optional().meta({ description: '省级节点地址；缺省取 BDCERT_PROVINCE_URL' }),
                token: z.string().trim().min(20).max(300).meta({ description: '省级管理员签发的注册令牌' }),
              })
              .meta({ example: { provinceUrl: EX.provinceUrl, token: EX.enrolmentToken } }),
            response: {
              200: z
                .object({
                  provinceNodeId: z.string(),
                  provinceName: z.string(),
                  regionCodes: z.array(z.string()),
                  queued: z.number().meta({ description: '排队推送的机构与印章消息数' }),
                })
                .meta({
                  example: {
                    provinceNodeId: EX.provinceNodeId,
                    provinceName: EX.provinceName,
                    regionCodes: ['4115'],
                    queued: 12,
                  },
                }),
              ...errors(400, 401, 403),
            },
          },
          preHandler: requireStaff('agency-admin'),
        },
        async (req) => {
          const provinceUrl = req.body.provinceUrl ?? ctx.config.sync.provinceUrl;
          if (!provinceUrl)
            throw new ApiError(
              'VALIDATION_FAILED',
              '请提供省级节点地址',
              'provinceUrl is required (or set BDCERT_PROVINCE_URL)',
              'provinceUrl',
            );
          return sync.join({
            provinceUrl,
            token: req.body.token,
            baseUrl: ctx.config.baseUrl,
            actor: actorOf(staffPrincipal(req)),
          });
        },
      );

      r.post(
        '/api/v1/sync/node/download',
        {
          schema: {
            tags,
            summary: '省级节点代用证单位下载加注件（节点间签名请求）/ the province fetches an annotated copy',
            description:
              '由省级节点以其SM2密钥签名；携带用证单位、用证事由、业务编号与持证主体；本节点核对后生成加注件并审计。',
            body: SignedRequest.meta({
              example: requestBy(EX.provinceNodeId, {
                identifier: EX.identifier,
                purpose: '办理个人住房公积金贷款',
                caseNo: 'GJJ-2026-001234',
                holderCode: EX.idNumber,
                holderCodeType: '111',
                institution: {
                  clientId: 'bdc_x1Y2z3A4b5C6',
                  name: '信阳市住房公积金中心',
                  agreementNo: 'XY-GJJ-2026-01',
                },
              }),
            }),
            response: {
              200: SignedResponse.meta({
                example: signedBy(EX.cityNodeId, {
                  ofd: 'UEsDBBQAAAAIAA…',
                  pdf: 'JVBERi0xLjcK…',
                  ofdSm3: EX.sm3,
                  pdfSm3: EX.sm3b,
                  expires: '2026-11-27T10:00:05.000Z',
                  summary: { certificateNo: EX.certificateNo, agencyName: EX.agencyName, statusName: '有效' },
                }),
              }),
              ...errors(400, 401, 403),
            },
          },
        },
        async (req) => sync.answerNodeDownload(req.body, meta(req)),
      );

      r.post(
        '/api/v1/sync/reconcile/run',
        {
          schema: {
            tags,
            summary: '立即对账（并按需补发）/ reconcile with the province now (and repair)',
            body: z
              .object({
                days: z
                  .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))
                  .max(400)
                  .optional()
                  .meta({ description: '只比对这些日期；缺省为全部' }),
                repair: z.boolean().default(true).meta({ description: '发现差异时补发这些证照的当前状态' }),
              })
              .default({ repair: true })
              .meta({ example: { days: ['2026-11-20'], repair: true } }),
            response: { 200: Report, ...errors(400, 401, 403) },
          },
          preHandler: requireStaff('agency-admin'),
        },
        async (req) =>
          sync.reconcile({
            ...(req.body.days ? { days: req.body.days } : {}),
            repair: req.body.repair,
            actor: actorOf(staffPrincipal(req)),
          }),
      );

      r.post(
        '/api/v1/sync/push-now',
        {
          schema: {
            tags,
            summary: '立即推送积压消息（定时模式下亦可）/ push the backlog now',
            response: {
              202: z.object({ accepted: z.literal(true) }).meta({ example: { accepted: true } }),
              ...errors(401, 403),
            },
          },
          preHandler: requireStaff('agency-admin'),
        },
        async (_req, reply) => {
          sync.relay?.kick();
          return reply.status(202).send({ accepted: true as const });
        },
      );

      r.post(
        '/api/v1/sync/agency-systems',
        {
          schema: {
            tags,
            summary: '登记自建证照系统（登记机构管理员）/ enrol an agency’s own certificate system',
            description: '自建证照系统以其SM2密钥签名推送；本接口登记其公钥并返回本市级节点的公钥。',
            body: z
              .object({
                agencyId: z.uuid().meta({ description: '登记机构' }),
                name: z
                  .string()
                  .trim()
                  .min(1)
                  .max(100)
                  .meta({ description: '系统名称', example: '潢川县不动产登记电子证照系统' }),
                publicKey: z
                  .string()
                  .regex(/^04[0-9a-f]{128}$/, 'SM2公钥应为04开头的130位十六进制||SM2 public key: 04 + 128 hex')
                  .meta({ description: 'SM2公钥（未压缩点，十六进制）' }),
              })
              .meta({
                example: { agencyId: EX.agencyId, name: '潢川县不动产登记电子证照系统', publicKey: EX.sm2PublicKey2 },
              }),
            response: {
              201: z.object({ systemId: z.string(), cityNodeId: z.string(), cityPublicKey: z.string() }).meta({
                example: {
                  systemId: 'as-11411526mb1a00028n-3f9a2c',
                  cityNodeId: EX.cityNodeId,
                  cityPublicKey: EX.sm2PublicKey,
                },
              }),
              ...errors(400, 401, 403),
            },
          },
          preHandler: requireStaff('agency-admin', (req) => (req.body as { agencyId?: string }).agencyId),
        },
        async (req, reply) =>
          reply.status(201).send(await sync.registerAgencySystem({ ...req.body, actor: actorOf(staffPrincipal(req)) })),
      );

      r.post(
        '/api/v1/sync/agency/push',
        {
          schema: {
            tags,
            summary: '自建证照系统推送证照（版式文件、目录、照面信息）/ an agency system pushes sealed certificates',
            description:
              '与市→省同一信封协议：每条消息以自建系统的SM2密钥签名，按（系统，序号）幂等。市级节点核验印章（本市印章登记）、电子证照标识（须为本机构统一社会信用代码）、照面信息与文件元数据一致后接收；被拒的消息在结果中给出中英文原因与字段。',
            body: Batch.meta({
              example: {
                node: 'as-11411526mb1a00028n-3f9a2c',
                messages: [{ ...EX_ENVELOPE, node: 'as-11411526mb1a00028n-3f9a2c', seq: '1' }],
              },
            }),
            response: {
              200: SignedResponse.meta({
                example: signedBy(EX.cityNodeId, {
                  ack: '2',
                  results: [
                    { seq: '1', outcome: 'applied' },
                    {
                      seq: '2',
                      outcome: 'rejected',
                      error: {
                        code: 'OFD_REQUIRED',
                        message: '新证照须附已签章的OFD版式文件',
                        messageEn: 'A new certificate needs its sealed OFD',
                        field: 'ofd',
                      },
                    },
                  ],
                }),
              }),
              ...errors(400, 401, 403),
            },
          },
        },
        async (req) => signed(await sync.intake(req.body.node, req.body.messages, meta(req))),
      );
    }
  };
}
