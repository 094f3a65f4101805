import cliProgress from 'cli-progress';
import type { Command } from 'commander';

/**
 * `bdcert import-stock <file> --agency <行政区划代码|统一社会信用代码>` — historical stock (CSV/XLSX/JSON with the
 * notice's Chinese item names plus 证照类型): validates every row first and imports nothing from a file with errors
 * unless `--skip-invalid` (valid rows imported, a rejects file written); resumable — run it again after an
 * interruption; seals everything (unless `--no-seal`), beside the import from the moment the file has validated.
 * The rejects file is in the input's format (CSV, XLSX or JSON, with 行号 and 错误 added). Exit 1 when rows were
 * rejected. On a terminal the progress is a bar with rate and ETA; otherwise (a log, a pipe) one line at most every
 * second, each after a committed group of rows. Sealing first finishes the stock batches a killed run left running,
 * so a rerun ends with every certificate sealed.
 */
export function register(program: Command): void {
  program
    .command('import-stock')
    .description('导入历史存量证照并签章 / import historical stock certificates and seal them')
    .argument('<file>', 'CSV、XLSX或JSON（列名为附件2信息项名称，另含“证照类型”）')
    .requiredOption('--agency <code>', '登记机构的行政区划代码或统一社会信用代码')
    .option('--skip-invalid', '导入有效行，无效行写入拒绝文件 / import valid rows, write rejects')
    .option(
      '--rejects <file>',
      '拒绝文件路径，与输入文件格式相同（默认 <文件名>.rejects.<扩展名>）/ rejects file, same format as the input',
    )
    .option(
      '--kind <kind>',
      '无“证照类型”列时的证照种类：不动产权证书 | 不动产登记证明 / kind for rows without 证照类型',
    )
    .option('--no-seal', '只导入，不签章 / import only')
    .option('--batch <rows>', '每个事务登簿的行数（默认250）/ rows recorded per transaction (default 250)')
    .action(
      async (
        file: string,
        o: { agency: string; skipInvalid?: boolean; rejects?: string; kind?: string; seal: boolean; batch?: string },
      ) => {
        const { loadConfig } = await import('../../config.js');
        const { openConfiguredStore } = await import('../../app.js');
        const { migrateToLatest } = await import('../../store/migrate.js');
        const { createServices } = await import('../../modules/services.js');
        const { seedDemo } = await import('../../modules/demo/seed.js');
        const { importStock } = await import('../../modules/imports/stock.js');
        const { pendingCount } = await import('../../modules/issuance/sealing.js');
        const { StockSealer } = await import('../../modules/imports/stock-sealing.js');
        const { resolveAgency } = await import('../catalog-cli.js');
        const { DomainError } = await import('../../domain/problem.js');
        const { defaultRejectsPath, rejectsPathProblem } = await import('../../modules/imports/rejects.js');
        const { kindFromName } = await import('../../domain/field-names.js');
        const rejectsPath = o.rejects ?? defaultRejectsPath(file);
        const wrongFormat = rejectsPathProblem(file, rejectsPath);
        if (wrongFormat) {
          console.error(wrongFormat);
          process.exitCode = 2;
          return;
        }
        const defaultKind = o.kind ? kindFromName(o.kind) : undefined;
        if (o.kind && !defaultKind) {
          console.error(`--kind 应为 不动产权证书 或 不动产登记证明 / --kind: 不动产权证书 or 不动产登记证明`);
          process.exitCode = 2;
          return;
        }
        const groupSize = o.batch === undefined ? undefined : Number(o.batch);
        if (groupSize !== undefined && !(Number.isInteger(groupSize) && groupSize >= 1 && groupSize <= 2000)) {
          console.error('--batch 应为 1–2000 的整数 / --batch: an integer from 1 to 2000');
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
          const actor = { kind: 'system' as const, id: 'import-stock' };
          // `extra`: what the line adds after the rate (the certificates sealed beside the import).
          const progress = (label: string, extra: () => string = () => '') => {
            // A terminal gets the bar; a log or a pipe gets a plain line at most every second (and the last one).
            if (process.stderr.isTTY) {
              const bar = new cliProgress.SingleBar(
                {
                  format: `${label} |{bar}| {value}/{total} {percentage}% · {rate}/s · 剩余 ETA {eta_formatted}{extra}`,
                  stream: process.stderr,
                },
                cliProgress.Presets.shades_classic,
              );
              let t0 = Date.now();
              return {
                start: (total: number) => {
                  t0 = Date.now();
                  bar.start(total, 0, { rate: '0', extra: extra() });
                },
                update: (done: number) =>
                  bar.update(done, {
                    rate: (done / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(0),
                    extra: extra(),
                  }),
                stop: () => bar.stop(),
              };
            }
            let t0 = Date.now();
            let total = 0;
            let last = 0;
            let lastDone = -1;
            const line = (done: number) => {
              const s = Math.max(0.001, (Date.now() - t0) / 1000);
              const rate = done / s;
              const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
              console.error(
                `${label} ${done}/${total} ${total ? Math.floor((done / total) * 100) : 100}% · ${rate.toFixed(0)}/s · 剩余 ETA ${eta}s${extra()}`,
              );
              last = Date.now();
              lastDone = done;
            };
            return {
              start: (n: number) => {
                t0 = Date.now();
                total = n;
              },
              update: (done: number) => {
                if (Date.now() - last >= 1000) line(done);
              },
              stop: () => {
                if (lastDone !== total) line(total);
              },
            };
          };
          // Sealing runs beside the import once the file has validated (stock-sealing.ts), then seals the rest.
          let sealedSoFar = 0;
          let afterImport: ((sealed: number) => void) | undefined; // the seal bar, once the import has ended
          const sealer = new StockSealer(services.issuance, agency.id, actor, (n) => {
            sealedSoFar = n;
            afterImport?.(n);
          });
          const bar = progress('导入 import', () => (o.seal ? ` · 已签章 sealed ${sealedSoFar}` : ''));
          const report = await importStock(services.issuance, file, {
            agencyId: agency.id,
            skipInvalid: !!o.skipInvalid,
            rejectsPath,
            actor,
            ...(defaultKind ? { defaultKind } : {}),
            onValidated: (rows, bad) => {
              console.error(`校验完成 validated: ${rows} 行 rows, ${bad} 行有错误 invalid`);
              if (!bad || o.skipInvalid) {
                bar.start(rows - bad);
                if (o.seal) sealer.start();
              }
            },
            onProgress: (done) => bar.update(done),
            ...(groupSize ? { groupSize } : {}),
          }).catch(async (e: unknown) => {
            await sealer.stop(); // no batch left running on a store about to close
            throw e;
          });
          if (!report.aborted) bar.stop();
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
            `已导入 imported ${report.imported}，已存在 already present ${report.replayed}，拒绝 rejected ${report.invalidRows}${report.invalidRows && o.skipInvalid ? `（见 ${rejectsPath}）` : ''}`,
          );
          if (o.seal) {
            // The rest of the sealing, after the import: the bar counts what was still pending when it ended. A run
            // killed while sealing left its batch running; the sealer finishes it first (it takes every pending
            // certificate of the agency, old and new), so a rerun ends with every imported certificate sealed.
            const sealBar = progress('签章 seal');
            sealBar.start(await pendingCount(services.issuance, agency.id));
            const base = sealer.sealed;
            afterImport = (n) => sealBar.update(n - base);
            const done = await sealer.finish();
            afterImport(done.sealed);
            sealBar.stop();
            console.log(`已签章 sealed ${done.sealed}，失败 failed ${done.failed}`);
            if (done.failed) process.exitCode = 1;
          }
          if (report.invalidRows) process.exitCode = 1;
        } finally {
          await store.close();
        }
      },
    );
}
