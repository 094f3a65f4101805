import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { kindFromName } from '../../domain/field-names.js';
import { notFoundError, requireStaff, staffPrincipal } from '../../http/auth.js';
import { ApiError } from '../../http/errors.js';
import { binary, EX, errors, MIME } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import type { BlobStore } from '../../store/blobs.js';
import type { Database } from '../../store/schema.js';
import { actorOf } from '../audit/audit.js';
import type { ImportService, ImportView } from './jobs.js';
import { viewOf } from './jobs.js';
import * as repo from './repository.js';
import { formatOf } from './table-reader.js';

/**
 * `/api/v1/imports*` — table imports for the console (issue 8: stock import with the validation report and progress).
 * The file is the raw request body; the import runs in the background and survives a restart (jobs.ts).
 * Authorization: the agency's administrator or registrar (a province administrator for any agency); another
 * agency's import is answered 404, as a missing one.
 */
export const UPLOAD_TYPES: Readonly<Record<string, '.csv' | '.xlsx' | '.json' | '.jsonl'>> = {
  'text/csv': '.csv',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/json': '.json',
  'application/x-ndjson': '.jsonl',
  'application/jsonl': '.jsonl',
};

/** Raw bodies for the table types; JSON stays raw too, so a JSON array or JSON lines reach the importer as sent. */
export function rawTableBodies(app: App): void {
  app.addContentTypeParser(
    [
      'text/csv',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/x-ndjson',
      'application/jsonl',
    ],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );
}

/** The uploaded table as bytes with a file name whose extension names its format. */
export function uploadedTable(req: FastifyRequest, name: string | undefined): { bytes: Uint8Array; fileName: string } {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const ext = UPLOAD_TYPES[type];
  if (!ext)
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      '请以 text/csv、XLSX（application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）或 application/json 上传表格',
      'Upload the table as text/csv, XLSX or application/json',
    );
  const body = req.body;
  let bytes: Uint8Array;
  if (Buffer.isBuffer(body)) bytes = body;
  else if (ext === '.json') {
    // Fastify parsed the JSON already: an array of rows is written back as one JSON array.
    if (!Array.isArray(body) || !body.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r)))
      throw new ApiError('VALIDATION_FAILED', 'JSON 须为记录数组', 'JSON must be an array of records', 'body');
    bytes = Buffer.from(JSON.stringify(body));
  } else throw new ApiError('BAD_REQUEST', '请求体为空', 'Empty body', 'body');
  if (bytes.length === 0) throw new ApiError('VALIDATION_FAILED', '文件为空', 'The file is empty', 'body');
  const base =
    (name ?? 'upload')
      .replace(/\.[A-Za-z0-9]{1,5}$/, '')
      .replace(/[^\p{L}\p{N}._-]/gu, '_')
      .slice(0, 80) || 'upload';
  const fileName = `${base}${ext}`;
  formatOf(fileName); // the extension is one the table reader knows
  return { bytes, fileName };
}

export const ImportProblemSchema = z.object({
  row: z.number().int().meta({ description: '行号（数据行，从1起）' }),
  field: z.string().optional().meta({ description: '字段路径（附件2 信息项名称）' }),
  code: z.string(),
  message: z.string().meta({ description: '中文说明' }),
  messageEn: z.string(),
});

/** The sample stock import: a county's 2020 certificates, being sealed. */
const EX_IMPORT = {
  id: EX.importId,
  kind: 'stock',
  agencyId: EX.agencyId,
  fileName: '潢川县存量不动产权证书2020.csv',
  status: 'sealing',
  total: 1000,
  valid: 990,
  invalid: 10,
  imported: 990,
  replayed: 0,
  sealed: 412,
  problems: [
    {
      row: 3,
      field: 'area（面积）',
      code: 'INVALID_TOO_SMALL',
      message: '面积必须大于0',
      messageEn: 'area must be greater than 0',
    },
  ],
  rejectsUrl: `/api/v1/imports/${EX.importId}/rejects`,
  createdAt: '2026-11-20T02:00:00.000Z',
  updatedAt: '2026-11-20T02:01:10.000Z',
  finishedAt: null,
};

export const ImportViewSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['stock', 'entries']),
    agencyId: z.uuid(),
    fileName: z.string(),
    status: z.enum(['validating', 'invalid', 'importing', 'sealing', 'done', 'failed']).meta({
      description:
        'validating 校验中 · invalid 有错误未导入 · importing 导入中 · sealing 签章中 · done 完成 · failed 失败',
    }),
    total: z.number().int().meta({ description: '数据行数' }),
    valid: z.number().int(),
    invalid: z.number().int(),
    imported: z.number().int().meta({ description: '已在登记簿中的有效行（含此前已导入的）' }),
    replayed: z.number().int().meta({ description: '此前已导入、本次未改变的行' }),
    sealed: z.number().int(),
    problems: z.array(ImportProblemSchema).meta({ description: '问题（前500条）' }),
    rejectsUrl: z.string().optional().meta({ description: '拒绝文件（与上传文件格式相同）' }),
    batchId: z.uuid().optional(),
    error: z.string().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ example: EX_IMPORT });

const bool = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const tags = ['imports'];
const STAFF_WRITE = ['agency-admin', 'registrar'] as const;
const STAFF_READ = ['agency-admin', 'registrar', 'auditor'] as const;
const NO_AGENCY = '00000000-0000-0000-0000-000000000000';

export function importRoutes(imports: ImportRoutesDeps, auth: (app: App) => void): (app: App) => void {
  return (app) => {
    auth(app);
    rawTableBodies(app);
    const r = app.withTypeProvider<ZodTypeProvider>();
    const db = () => imports.db;
    const visible = async (req: FastifyRequest) => {
      const row = await repo.findImport(db(), (req.params as { id: string }).id);
      await requireStaff([...STAFF_READ], () => row?.agency_id ?? NO_AGENCY)(req, undefined as unknown as FastifyReply);
      if (!row) throw notFoundError();
      return row;
    };

    r.post(
      '/api/v1/imports/stock',
      {
        schema: {
          tags,
          summary: '导入历史存量证照（后台执行，可续传）/ import historical stock in the background',
          description:
            '请求体即文件本身：Content-Type 为 text/csv、application/vnd.openxmlformats-officedocument.spreadsheetml.sheet（XLSX）或 application/json（记录数组或 JSON lines 用 application/x-ndjson），列名为附件2信息项名称，另含“证照类型”（或以 kind 参数指定）。先校验全部行；有错误时不导入任何数据（除非 skipInvalid=true，此时导入有效行并生成与上传格式相同的拒绝文件），导入后一次性签章（河南通知三（一）5）。进度见 GET /api/v1/imports/{id}；节点重启后自动续传。',
          querystring: z.object({
            agencyId: z.uuid().optional().meta({ description: '登记机构（默认本人所属机构）' }),
            kind: z
              .string()
              .optional()
              .meta({ description: '无“证照类型”列时的证照种类：不动产权证书 | 不动产登记证明' }),
            skipInvalid: bool.meta({ description: '导入有效行，无效行写入拒绝文件' }),
            seal: z
              .enum(['true', 'false', '1', '0'])
              .optional()
              .transform((v) => v !== 'false' && v !== '0')
              .meta({ description: '导入后签章（默认是）' }),
            fileName: z.string().max(120).optional().meta({ description: '文件名（显示用）' }),
          }),
          response: {
            202: z.object({ importId: z.uuid() }).meta({ example: { importId: EX.importId } }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireStaff([...STAFF_WRITE], (req) => (req.query as { agencyId?: string }).agencyId),
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const q = req.query;
        const kind = q.kind ? kindFromName(q.kind) : undefined;
        if (q.kind && !kind)
          throw new ApiError(
            'VALIDATION_FAILED',
            'kind 应为不动产权证书或不动产登记证明',
            'kind: 不动产权证书 or 不动产登记证明',
            'kind',
          );
        const { bytes, fileName } = uploadedTable(req, q.fileName);
        const row = await imports.service.create({
          kind: 'stock',
          agencyId: q.agencyId ?? p.agencyId,
          fileName,
          bytes,
          options: { skipInvalid: q.skipInvalid, seal: q.seal, ...(kind ? { certificateKind: kind } : {}) },
          actor: actorOf(p),
        });
        void imports.service
          .run(row.id)
          .catch((e: unknown) => req.log.error({ err: e, importId: row.id }, 'import failed'));
        return reply.status(202).send({ importId: row.id });
      },
    );

    r.get(
      '/api/v1/imports',
      {
        schema: {
          tags,
          summary: '最近的导入任务（本机构）/ recent imports of my agency',
          querystring: z.object({
            kind: z.enum(['stock', 'entries']).optional(),
            agencyId: z.uuid().optional().meta({ description: '省级管理员可查看其他机构' }),
            limit: z.coerce.number().int().min(1).max(100).default(20),
          }),
          response: {
            200: z.object({ items: z.array(ImportViewSchema.omit({ problems: true })) }).meta({
              example: { items: [(({ problems: _omit, ...v }) => v)(EX_IMPORT)] },
            }),
            ...errors(400, 401, 403),
          },
        },
        preHandler: requireStaff([...STAFF_READ], (req) => (req.query as { agencyId?: string }).agencyId),
      },
      async (req) => {
        const p = staffPrincipal(req);
        const rows = await repo.listImports(db(), {
          agencyId: req.query.agencyId ?? p.agencyId,
          limit: req.query.limit,
          ...(req.query.kind ? { kind: req.query.kind } : {}),
        });
        return {
          items: rows.map((x) => {
            const { problems: _omit, ...v } = viewOf(x);
            return v;
          }),
        };
      },
    );

    r.get(
      '/api/v1/imports/:id',
      {
        schema: {
          tags,
          summary: '导入任务的校验报告与进度 / validation report and progress of an import',
          params: z.object({ id: z.uuid() }),
          response: { 200: ImportViewSchema, ...errors(400, 401, 403, 404) },
        },
      },
      async (req): Promise<ImportView> => viewOf(await visible(req)),
    );

    r.get(
      '/api/v1/imports/:id/rejects',
      {
        schema: {
          tags,
          summary: '拒绝文件（与上传文件格式相同，含行号与错误列）/ the rejects file, in the uploaded format',
          params: z.object({ id: z.uuid() }),
          response: {
            200: binary(
              '拒绝文件：CSV、XLSX 或 JSON（与上传文件相同）/ the rejects file: CSV, XLSX or JSON, as uploaded',
              MIME.csv,
              MIME.xlsx,
              'application/json',
              'application/x-ndjson',
            ),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const row = await visible(req);
        if (!row.rejects_blob) throw new ApiError('NOT_FOUND', '该导入没有拒绝文件', 'This import has no rejects file');
        const bytes = await imports.blobs.get(row.rejects_blob);
        if (!bytes) throw new ApiError('NOT_FOUND', '文件缺失', 'File missing');
        const ext = row.file_name.slice(row.file_name.lastIndexOf('.'));
        const type = Object.entries(UPLOAD_TYPES).find(([, e]) => e === ext)?.[0] ?? 'application/octet-stream';
        const name = `${row.file_name.slice(0, -ext.length)}.rejects${ext}`;
        return reply
          .type(type === 'text/csv' ? 'text/csv; charset=utf-8' : type)
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
          .send(Buffer.from(bytes));
      },
    );
  };
}

/** What the import routes need: the service, the database and the file store. */
export interface ImportRoutesDeps {
  readonly service: ImportService;
  readonly db: Kysely<Database>;
  readonly blobs: BlobStore;
}
