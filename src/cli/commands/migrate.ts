import type { Command } from 'commander';
import { openConfiguredStore } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';
import { migrateToLatest } from '../../store/migrate.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('执行数据库迁移 / apply database migrations (DATABASE_URL, or the embedded database under DATA_DIR)')
    .action(async () => {
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
      try {
        const r = await migrateToLatest(store.db);
        const applied = (r.results ?? []).filter((x) => x.status === 'Success').map((x) => x.migrationName);
        console.log(
          applied.length ? `已应用迁移 / applied: ${applied.join(', ')}` : '数据库已是最新 / database is up to date',
        );
      } finally {
        await store.close();
      }
    });
}
