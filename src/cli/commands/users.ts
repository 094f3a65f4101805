import type { Command } from 'commander';
import { openConfiguredStore } from '../../app.js';
import { type Config, ConfigError, loadConfig } from '../../config.js';
import { STAFF_ROLES, type StaffRole } from '../../domain/access.js';
import { IdentityService } from '../../modules/identity/service.js';
import { openFieldCrypto } from '../../modules/privacy/master-key.js';
import type { Store } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';

/**
 * `bdcert users …`: staff accounts from the command line. In production this is the only way to create the first
 * administrator: no account and no default password exists until an operator runs `users create` (the generated
 * password is printed once).
 */
const CLI_ACTOR = { kind: 'system', id: 'cli' } as const;

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

export function cliIdentity(config: Config, store: Store): IdentityService {
  const unused = (what: string) => () => {
    throw new Error(`${what} is not available from the command line`);
  };
  return new IdentityService({
    db: store.db,
    fieldCrypto: openFieldCrypto(config),
    now: () => new Date(),
    mode: config.mode,
    sms: { simulator: false, send: unused('SMS') },
    realName: { simulator: false, verify: unused('real-name verification') },
  });
}

async function withIdentity<T>(fn: (id: IdentityService, store: Store) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const store = await openConfiguredStore(config);
  try {
    await migrateToLatest(store.db);
    return await fn(cliIdentity(config, store), store);
  } finally {
    await store.close();
  }
}

async function resolveAgency(store: Store, ref: string): Promise<string> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const a = await store.db
    .selectFrom('agencies')
    .select('id')
    .where(isUuid ? 'id' : 'uscc', '=', ref)
    .executeTakeFirst();
  if (!a) throw new Error(`登记机构不存在 / no agency with id or USCC "${ref}"`);
  return a.id;
}

function parseRoles(s: string): StaffRole[] {
  const roles = s.split(',').map((r) => r.trim());
  for (const r of roles)
    if (!(STAFF_ROLES as readonly string[]).includes(r))
      throw new Error(`未知角色 / unknown role "${r}" (one of ${STAFF_ROLES.join(', ')})`);
  return roles as StaffRole[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  const users = program.command('users').description('工作人员账户 / staff accounts');
  users
    .command('create')
    .description('新建工作人员（打印一次性密码）/ create a staff user (prints a one-time password)')
    .requiredOption('--agency <id|uscc>', '登记机构 id 或统一社会信用代码 / agency id or USCC')
    .requiredOption('--username <name>', '用户名 / user name')
    .requiredOption('--name <displayName>', '姓名 / display name')
    .requiredOption('--roles <roles>', `角色，逗号分隔 / comma-separated roles: ${STAFF_ROLES.join(', ')}`)
    .option('--password-stdin', '从标准输入读取密码 / read the password from stdin instead of generating one')
    .action(async (o: { agency: string; username: string; name: string; roles: string; passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? await readStdin() : undefined;
      const r = await withIdentity(async (id, store) =>
        id.createStaffUser(
          {
            agencyId: await resolveAgency(store, o.agency),
            username: o.username,
            displayName: o.name,
            roles: parseRoles(o.roles),
            ...(password !== undefined ? { password } : {}),
          },
          CLI_ACTOR,
        ),
      );
      console.log(`已创建 / created: ${r.user.username} (${r.user.roles.join(', ')}) id=${r.user.id}`);
      if (!o.passwordStdin) console.log(`初始密码（仅显示一次）/ initial password (shown once): ${r.password}`);
    });
  users
    .command('reset-password')
    .description('重置密码并解锁（打印一次性密码）/ reset password and unlock (prints a one-time password)')
    .argument('<username>')
    .action(async (username: string) => {
      const pw = await withIdentity(async (id, store) => {
        const u = await store.db
          .selectFrom('staff_users')
          .select('id')
          .where('username', '=', username)
          .executeTakeFirst();
        if (!u) throw new Error(`用户不存在 / no user "${username}"`);
        return id.resetStaffPassword(u.id, CLI_ACTOR);
      });
      console.log(`新密码（仅显示一次）/ new password (shown once): ${pw}`);
    });
  users
    .command('list')
    .description('列出工作人员 / list staff users')
    .requiredOption('--agency <id|uscc>')
    .action(async (o: { agency: string }) => {
      const list = await withIdentity(async (id, store) => id.listStaffUsers(await resolveAgency(store, o.agency)));
      for (const u of list)
        console.log(
          `${u.username}\t${u.displayName}\t${u.roles.join(',')}\t${u.totpEnabled ? 'TOTP' : '-'}\t${u.disabled ? '停用 disabled' : u.locked ? '锁定 locked' : '正常 active'}`,
        );
    });
}
