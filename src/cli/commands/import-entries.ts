import cliProgress from 'cli-progress';
import type { Command } from 'commander';

/**
 * `bdcert import-entries <file> --agency <行政区划代码|统一社会信用代码>` — register entries (登簿) from a table, where no
 * real-time interface exists (Henan 三(一)3: tables at least twice a day): CSV/XLSX whose columns are the 附件2 item
 * names with 证照类型 plus the entry columns (业务号, 登记类型, 登簿时间 …), or JSON (records shaped like the API body, or
 * keyed by the same Chinese names). Every row is validated first and every problem printed by row and field; nothing
 * is recorded from a file with errors unless `--skip-invalid` (valid rows recorded, a rejects file in the input's
 * format). Idempotent on 业务号: run it again after an interruption, or on the same table, and nothing is duplicated.
 * The certificates it produces are sealed on the agency's schedule (or at once in real-time mode). Exit 1 when rows
 * were rejected.
 */
export function register(program: Command): void {
  program
    .command('import-entries')
    .description('从表格批量登簿 / record register entries from a CSV, XLSX or JSON table')
    .argument('<file>', 'CSV、XLSX或JSON（附件2信息项名称、证照类型，以及业务号、登记类型、登簿时间等登簿列）')
    .requiredOption('--agency <code>', '登记机构的行政区划代码或统一社会信用代码')
    .option('--skip-invalid', '登簿有效行，无效行写入拒绝文件 / record valid rows, write rejects')
    .option('--rejects <file>', '拒绝文件路径，与输入文件格式相同（默认 <文件名>.rejects.<扩展名>）')
    .action(async (file: string, o: { agency: string; skipInvalid?: boolean; rejects?: string }) => {
      const { loadConfig } = await import('../../config.js');
      const { openConfiguredStore } = await import('../../app.js');
      const { migrateToLatest } = await import('../../store/migrate.js');
      const { createServices } = await import('../../modules/services.js');
      const { seedDemo } = await import('../../modules/demo/seed.js');
      const { importEntries } = await import('../../modules/imports/entries.js');
      const { defaultRejectsPath, rejectsPathProblem } = await import('../../modules/imports/rejects.js');
      const { resolveAgency } = await import('../catalog-cli.js');
      const { DomainError } = await import('../../domain/problem.js');
      const rejectsPath = o.rejects ?? defaultRejectsPath(file);
      const wrongFormat = rejectsPathProblem(file, rejectsPath);
      if (wrongFormat) {
        console.error(wrongFormat);
        process.exitCode = 2;
        return;
      }
      const config = loadConfig();
      const store = await openConfiguredStore(config);
      try {
        await migrateToLatest(store.db);
        const services = await createServices(config, store);
        await seedDemo(config, store);
        // The same lookup as the catalog commands: id, 统一社会信用代码 or 行政区划代码.
        const agency = await resolveAgency(store, o.agency).catch((e: unknown) => {
          if (e instanceof DomainError) return undefined;
          throw e;
        });
        if (!agency) {
          console.error(`找不到登记机构 ${o.agency} / agency not found`);
          process.exitCode = 2;
          return;
        }
        const bar = new cliProgress.SingleBar(
          {
            format: '登簿 record |{bar}| {value}/{total} {percentage}% · 剩余 ETA {eta_formatted}',
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 5000,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        const report = await importEntries(services.issuance, file, {
          agencyId: agency.id,
          skipInvalid: !!o.skipInvalid,
          rejectsPath,
          actor: { kind: 'system', id: 'import-entries' },
          onValidated: (rows, bad) => {
            console.error(`校验完成 validated: ${rows} 行 rows, ${bad} 行有错误 invalid`);
            if (!bad || o.skipInvalid) bar.start(rows - bad, 0);
          },
          onProgress: (done) => bar.update(done),
        });
        bar.stop();
        for (const p of report.problems)
          console.log(`第${p.row}行 row ${p.row}  ${p.field ?? '-'}  ${p.code}  ${p.message} / ${p.messageEn}`);
        if (report.aborted) {
          console.log(
            `文件有 ${report.invalidRows} 行错误，未登簿任何一行 / ${report.invalidRows} invalid rows: nothing recorded`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(
          `已登簿 recorded ${report.recorded}，已存在 already present ${report.replayed}，拒绝 rejected ${report.invalidRows}${report.rejectsPath ? `（见 ${report.rejectsPath}）` : ''}`,
        );
        if (report.invalidRows) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
