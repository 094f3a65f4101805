import type { Command } from 'commander';
import { portsFromEnv } from '../../config.js';
import { validateFace } from '../../domain/face-data.js';
import { chineseNameOf, fromChineseRecord, kindFromName } from '../../domain/field-names.js';
import { readTable } from '../../modules/imports/table-reader.js';
import { loadCodeTables } from '../../modules/register/code-tables.js';

/**
 * `bdcert validate <file>` — validates face-data records from JSON, CSV or XLSX whose columns are the notice's
 * Chinese item names (附件2) plus 证照类型, or JSON keyed by our names with `kind`. Prints every problem by row and
 * field; exit 1 if any error. The node's code tables apply (BDCERT_CODE_TABLES), as on the server and in imports, so
 * a file that validates here is accepted there.
 */
export function register(program: Command): void {
  program
    .command('validate')
    .description('校验照面信息文件 / validate face-data records (CSV, XLSX, JSON with 附件2 Chinese headers)')
    .argument('<file>')
    .option('--stage <stage>', 'complete（完整记录，含证号、标识、二维码）| input（登记系统提交的数据）', 'complete')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (file: string, opts: { stage: string; json?: boolean }) => {
      const stage = opts.stage === 'input' ? 'input' : 'complete';
      let codeTables: ReturnType<typeof loadCodeTables>;
      try {
        codeTables = loadCodeTables(portsFromEnv(process.env).codeTablesFile);
      } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(2);
      }
      let rows = 0;
      let bad = 0;
      let warnings = 0;
      const report: unknown[] = [];
      for await (const { row, values } of readTable(file)) {
        rows++;
        const kindRaw = String(values.证照类型 ?? values.kind ?? '');
        const kind = kindFromName(kindRaw);
        let problems: { code: string; field?: string; message: string; messageEn: string; severity: string }[];
        if (!kind) {
          problems = [
            {
              code: 'KIND_UNKNOWN',
              field: '证照类型',
              message: '证照类型应为“不动产权证书”或“不动产登记证明”',
              messageEn: 'kind must be 不动产权证书 or 不动产登记证明',
              severity: 'error',
            },
          ];
        } else {
          const chinese = Object.keys(values).some((k) => /[\u4e00-\u9fa5]/.test(k));
          const { record, unknownHeaders } = chinese
            ? fromChineseRecord(kind, values)
            : { record: values, unknownHeaders: [] };
          problems = [
            ...unknownHeaders.map((h) => ({
              code: 'UNKNOWN_COLUMN',
              field: h,
              message: `未知列「${h}」`,
              messageEn: `unknown column ${h}`,
              severity: 'warning',
            })),
            ...validateFace(record, { stage, codeTables }).problems.map((p) => ({
              ...p,
              field: p.field ? `${p.field}（${chineseNameOf(kind, p.field) ?? ''}）` : undefined,
            })),
          ] as typeof problems;
        }
        const errs = problems.filter((p) => p.severity === 'error');
        if (errs.length) bad++;
        warnings += problems.length - errs.length;
        if (problems.length) {
          report.push({ row, problems });
          if (!opts.json) {
            for (const p of problems) {
              console.log(
                `第${row}行 row ${row}  ${p.severity === 'error' ? '错误 error' : '警告 warning'}  ${p.field ?? '-'}  ${p.code}  ${p.message} / ${p.messageEn}`,
              );
            }
          }
        }
      }
      if (opts.json) console.log(JSON.stringify({ rows, invalidRows: bad, warnings, report }, null, 2));
      else
        console.log(
          `共 ${rows} 行，${bad} 行有错误，${warnings} 条警告 / ${rows} rows, ${bad} with errors, ${warnings} warnings`,
        );
      process.exit(bad > 0 ? 1 : 0);
    });
}
