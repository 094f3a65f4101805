import type { Command } from 'commander';
import { openConfiguredStore } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';
import { migrateToLatest } from '../../store/migrate.js';
import { auditGuard, migrateAsOwner, ownerMigrationFromEnv, RoleSetupError } from '../../store/roles.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description(
      '执行数据库迁移 / apply database migrations (as BDCERT_MIGRATION_DATABASE_URL, the owner role, when set — then the DATABASE_URL role is granted its privileges; else as DATABASE_URL, or the embedded database under DATA_DIR)',
    )
    .action(async () => {
      let config: ReturnType<typeof loadConfig>;
      let owner: ReturnType<typeof ownerMigrationFromEnv>;
      try {
        config = loadConfig();
        owner = ownerMigrationFromEnv();
      } catch (e) {
        if (e instanceof ConfigError || e instanceof RoleSetupError) {
          console.error(e.message);
          process.exit(2);
        }
        throw e;
      }
      let applied: string[];
      if (owner) {
        // Two roles (docs/database-roles.md): the owner migrates, the application role is granted what it needs.
        applied = (await migrateAsOwner(owner)).applied;
        console.log(`已授权应用角色 / granted the application role: ${owner.appRole}`);
      } else {
        const store = await openConfiguredStore(config);
        try {
          const r = await migrateToLatest(store.db);
          applied = (r.results ?? []).filter((x) => x.status === 'Success').map((x) => x.migrationName);
        } finally {
          await store.close();
        }
      }
      console.log(
        applied.length ? `已应用迁移 / applied: ${applied.join(', ')}` : '数据库已是最新 / database is up to date',
      );
      if (config.databaseUrl) {
        const store = await openConfiguredStore(config);
        try {
          const g = await auditGuard(store.db);
          console.log(
            g.enforcedBy === 'privileges'
              ? `审计日志：应用角色 ${g.role} 仅可追加与读取 / audit log: the application role ${g.role} may only append and read`
              : `警告：应用角色 ${g.role} 是审计日志的所有者或超级用户，仅靠触发器防篡改；请按 docs/database-roles.md 配置两个角色 / WARNING: the application role ${g.role} owns the audit log or is a superuser — only the triggers guard it; set up two roles (docs/database-roles.md)`,
          );
        } finally {
          await store.close();
        }
      }
    });
}
