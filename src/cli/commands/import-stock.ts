import cliProgress from 'cli-progress';
import type { Command } from 'commander';

/**
 * `bdcert import-stock <file> --agency <行政区划代码|统一社会信用代码>` — historical stock (CSV/XLSX/JSON with the
 * notice's Chinese item names plus 证照类型): validates every row first and imports nothing from a file with errors
 * unless `--skip-invalid` (valid rows imported, a rejects file written); resumable — run it again after an
 * interruption; then seals everything (unless `--no-seal`). Exit 1 when rows were rejected.
 */
export function register(program: Command): void {
  program
    .command('import-stock')
    .description('导入历史存量证照并签章 / import historical stock certificates and seal them')
    .argument('<file>', 'CSV、XLSX或JSON（列名为附件2信息项名称，另含“证照类型”）')
    .requiredOption('--agency <code>', '登记机构的行政区划代码或统一社会信用代码')
    .option('--skip-invalid', '导入有效行，无效行写入拒绝文件 / import valid rows, write rejects')
    .option('--rejects <file>', '拒绝文件路径（JSON lines）', 'rejects.jsonl')
    .option('--no-seal', '只导入，不签章 / import only')
    .action(async (file: string, o: { agency: string; skipInvalid?: boolean; rejects: string; seal: boolean }) => {
      const { loadConfig } = await import('../../config.js');
      const { openConfiguredStore } = await import('../../app.js');
      const { migrateToLatest } = await import('../../store/migrate.js');
      const { createServices } = await import('../../modules/services.js');
      const { seedDemo } = await import('../../modules/demo/seed.js');
      const { importStock } = await import('../../modules/imports/stock.js');
      const { startBatch, runBatch } = await import('../../modules/issuance/sealing.js');
      const catalog = await import('../../modules/catalog/repository.js');
      const config = loadConfig();
      const store = await openConfiguredStore(config);
      try {
        await migrateToLatest(store.db);
        const services = await createServices(config, store);
        await seedDemo(config, store);
        const agency = (await catalog.listAgencies(store.db)).find(
          (a) => a.region_code === o.agency || a.uscc === o.agency,
        );
        if (!agency) {
          console.error(`找不到登记机构 ${o.agency} / agency not found`);
          process.exitCode = 2;
          return;
        }
        const actor = { kind: 'system' as const, id: 'import-stock' };
        const tty = process.stderr.isTTY;
        const bar = new cliProgress.SingleBar(
          {
            format: '导入 import |{bar}| {value}/{total} {percentage}% · {rate}/s · 剩余 ETA {eta_formatted}',
            noTTYOutput: !tty,
            notTTYSchedule: 5000,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        const t0 = Date.now();
        const report = await importStock(services.issuance, file, {
          agencyId: agency.id,
          skipInvalid: !!o.skipInvalid,
          rejectsPath: o.rejects,
          actor,
          onValidated: (rows, bad) => {
            console.error(`校验完成 validated: ${rows} 行 rows, ${bad} 行有错误 invalid`);
            bar.start(rows - bad, 0, { rate: '0' });
          },
          onProgress: (done) =>
            bar.update(done, { rate: (done / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(0) }),
        });
        bar.stop();
        for (const p of report.problems)
          console.log(`第${p.row}行 row ${p.row}  ${p.field ?? '-'}  ${p.code}  ${p.message} / ${p.messageEn}`);
        if (report.aborted) {
          console.log(
            `文件有 ${report.invalidRows} 行错误，未导入任何数据 / ${report.invalidRows} invalid rows: nothing imported`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(
          `已导入 imported ${report.imported}，已存在 already present ${report.replayed}，拒绝 rejected ${report.invalidRows}${report.invalidRows ? `（见 ${o.rejects}）` : ''}`,
        );
        if (o.seal) {
          const b = await startBatch(services.issuance, { agencyId: agency.id, trigger: 'stock', actor });
          const sealBar = new cliProgress.SingleBar(
            {
              format: '签章 seal |{bar}| {value}/{total} · 剩余 ETA {eta_formatted}',
              noTTYOutput: !tty,
              notTTYSchedule: 5000,
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          );
          sealBar.start(b.total, 0);
          const done = await runBatch(services.issuance, b.id, { onProgress: (x) => sealBar.update(x.sealed) });
          sealBar.update(done.sealed);
          sealBar.stop();
          console.log(`已签章 sealed ${done.sealed}，失败 failed ${done.failed}`);
          if (done.failed) process.exitCode = 1;
        }
        if (report.invalidRows) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
