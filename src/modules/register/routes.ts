import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BUILTIN_CODE_TABLES, type CodeTables } from '../../domain/codes/override.js';
import { DomainError } from '../../domain/problem.js';
import { requireStaff, staffPrincipal } from '../../http/auth.js';
import { errors } from '../../http/openapi.js';
import type { App } from '../../http/server.js';
import { actorOf } from '../audit/audit.js';
import { ImportProblemSchema, type ImportRoutesDeps, rawTableBodies, uploadedTable } from '../imports/routes.js';
import { EntryOutcome } from './entry-schema.js';
import { ENTRY_COLUMNS } from './entry-table.js';

const tags = ['register'];

export const BatchReport = z
  .object({
    importId: z.uuid(),
    status: z.enum(['done']),
    total: z.number().int().meta({ description: '数据行数' }),
    valid: z.number().int(),
    invalid: z.number().int(),
    recorded: z.number().int().meta({ description: '本次新登簿的行' }),
    replayed: z.number().int().meta({ description: '业务号已登簿、内容相同、未改变的行' }),
    problems: z.array(ImportProblemSchema).meta({ description: '问题（前500条；skipInvalid 时为被拒绝的行）' }),
    rejectsUrl: z.string().optional().meta({ description: '拒绝文件，与上传文件格式相同' }),
    results: z.array(
      z.object({
        row: z.number().int(),
        businessNo: z.string(),
        entryId: z.uuid(),
        replayed: z.boolean(),
        outcome: EntryOutcome,
      }),
    ),
  })
  .meta({
    example: {
      importId: '9a1c7e20-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
      status: 'done',
      total: 2,
      valid: 2,
      invalid: 0,
      recorded: 1,
      replayed: 1,
      problems: [],
      results: [
        {
          row: 1,
          businessNo: '202611200001',
          entryId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
          replayed: true,
          outcome: {
            document: 'property-certificate',
            certificateNo: '豫(2026)潢川县不动产权第0000001号',
            reason: '其他登记事项生成不动产权证书（四川第六条）',
          },
        },
      ],
    },
  });

/**
 * `POST /api/v1/register/entries/batch` (issue 6 §1; Henan 三(一)3: “以库表方式…归集新增证照照面信息数据，更新频率不低于
 * 每天2次”) and `GET /api/v1/code-tables`. The batch goes through the same schema and the same recordEntry as the
 * single-entry route; the call waits for the end of the file (a table of a half-day's entries) and answers with a
 * result per row. Sent again — or continued by the node after a crash — it changes nothing already recorded.
 */
export function registerRoutes(
  imports: ImportRoutesDeps,
  codeTables: CodeTables | undefined,
  auth: (app: App) => void,
): (app: App) => void {
  return (app) => {
    auth(app);
    rawTableBodies(app);
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/api/v1/register/entries/batch',
      {
        schema: {
          tags,
          summary: '批量登簿（CSV/XLSX/JSON 表格，幂等）/ record register entries from a table (idempotent)',
          description: `请求体为表格文件（text/csv、XLSX、application/x-ndjson）或 JSON 记录数组（application/json）。照面信息列为附件2信息项名称另加“证照类型”，登簿列为：${ENTRY_COLUMNS.map((c) => `${c.zh}（${c.path}）`).join('、')}；JSON 记录也可与 POST /api/v1/register/entries 的请求体相同。先校验全部行并报告每个问题（行、字段、代码、中英文说明）；有错误时不登簿任何一行（422，error.problems 列出全部问题），除非 skipInvalid=true（登簿有效行，拒绝文件与上传格式相同）。按业务号幂等：重复提交同一表格不产生任何变化。`,
          querystring: z.object({
            agencyId: z.uuid().optional().meta({ description: '登记机构（默认本人所属机构）' }),
            skipInvalid: z
              .enum(['true', 'false', '1', '0'])
              .optional()
              .transform((v) => v === 'true' || v === '1')
              .meta({ description: '登簿有效行，无效行写入拒绝文件' }),
            fileName: z.string().max(120).optional(),
          }),
          response: { 200: BatchReport, ...errors(400, 401, 403) },
        },
        preHandler: requireStaff('registrar', (req) => (req.query as { agencyId?: string }).agencyId),
      },
      async (req) => {
        const p = staffPrincipal(req);
        const { bytes, fileName } = uploadedTable(req, req.query.fileName ?? 'entries');
        const created = await imports.service.create({
          kind: 'entries',
          agencyId: req.query.agencyId ?? p.agencyId,
          fileName,
          bytes,
          options: { skipInvalid: req.query.skipInvalid },
          actor: actorOf(p),
        });
        const { row, results } = await imports.service.run(created.id);
        if (row.status === 'invalid') {
          throw new DomainError(
            'TABLE_INVALID',
            `表格有 ${row.invalid} 行错误，未登簿任何一行（共 ${row.total} 行）`,
            `${row.invalid} of ${row.total} rows are invalid: nothing was recorded`,
            undefined,
            // Each problem keeps its row beside the usual code, field and messages.
            row.problems.map((x) => ({ ...x, severity: 'error' as const })),
          );
        }
        if (row.status !== 'done')
          throw new DomainError(
            'IMPORT_FAILED',
            `批量登簿未完成：${row.error ?? row.status}（再次提交同一表格可续传）`,
            `The batch did not finish: ${row.error ?? row.status} (send the same table again to continue)`,
          );
        return {
          importId: row.id,
          status: 'done' as const,
          total: row.total,
          valid: row.valid,
          invalid: row.invalid,
          recorded: row.imported - row.replayed,
          replayed: row.replayed,
          problems: row.problems,
          ...(row.rejects_blob ? { rejectsUrl: `/api/v1/imports/${row.id}/rejects` } : {}),
          results: (results ?? []).map((x) => ({ ...x, outcome: { ...x.outcome } })),
        };
      },
    );

    r.get(
      '/api/v1/code-tables',
      {
        schema: {
          tags,
          summary: '代码表（含配置覆盖及版本）/ code tables in force, with their version and confidence',
          response: {
            200: z
              .object({
                version: z.string(),
                tables: z.array(
                  z.object({
                    id: z.string(),
                    name: z.string(),
                    version: z.string(),
                    source: z.string(),
                    confidence: z.enum(['verified', 'inferred', 'configuration']).meta({
                      description:
                        'verified 已核实 · inferred 推定 · configuration 配置（可由 BDCERT_CODE_TABLES 覆盖）',
                    }),
                    entries: z.array(z.object({ code: z.string(), name: z.string() })),
                  }),
                ),
              })
              .meta({
                // The built-in set itself, cut to two tables of three entries so the document stays readable.
                example: {
                  version: BUILTIN_CODE_TABLES.version,
                  tables: [BUILTIN_CODE_TABLES.tables.idType, BUILTIN_CODE_TABLES.tables.coOwnership].map((t) => ({
                    ...t!,
                    entries: t!.entries.slice(0, 3).map((e) => ({ ...e })),
                  })),
                },
              }),
            ...errors(401, 403),
          },
        },
        preHandler: requireStaff(['registrar', 'sealing-clerk', 'agency-admin', 'auditor']),
      },
      async () => {
        const set = codeTables ?? BUILTIN_CODE_TABLES;
        return {
          version: set.version,
          tables: Object.values(set.tables).map((t) => ({ ...t, entries: t.entries.map((e) => ({ ...e })) })),
        };
      },
    );
  };
}
