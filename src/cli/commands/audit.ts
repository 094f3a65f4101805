import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { openConfiguredStore } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';
import { describeFinding, verifyAuditChain } from '../../modules/audit/audit.js';
import type { Database } from '../../store/schema.js';

/** `bdcert audit verify`: walks the SM3 chain; exit 0 when intact, 1 naming each altered, inserted or removed row. */
export async function runAuditVerify(db: Kysely<Database>, out: (line: string) => void, json = false): Promise<number> {
  const v = await verifyAuditChain(db);
  if (json) {
    out(JSON.stringify(v));
    return v.ok ? 0 : 1;
  }
  if (v.ok) {
    out(`审计日志完整 / audit chain intact: ${v.rows} 条 rows, head seq=${v.headSeq ?? '-'} hash=${v.headHash}`);
    return 0;
  }
  out(`审计日志校验失败 / audit chain BROKEN (${v.findings.length} finding(s) in ${v.rows} rows):`);
  for (const f of v.findings) out(`  ${describeFinding(f)}`);
  return 1;
}

export function register(program: Command): void {
  const audit = program.command('audit').description('审计日志 / audit log');
  audit
    .command('verify')
    .description(
      '校验审计日志哈希链 / verify the audit log hash chain (exit 1 names any altered, inserted or removed row)',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (e) {
        if (e instanceof ConfigError) {
          console.error(e.message);
          process.exit(2);
        }
        throw e;
      }
      const store = await openConfiguredStore(config);
      let code = 1;
      try {
        code = await runAuditVerify(store.db, (l) => console.log(l), opts.json === true);
      } finally {
        await store.close();
      }
      process.exitCode = code;
    });
}
