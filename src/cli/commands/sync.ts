import type { Command } from 'commander';
import { openConfiguredStore } from '../../app.js';
import { type Config, ConfigError, loadConfig } from '../../config.js';
import { ApiError } from '../../http/errors.js';
import { createServices, type Services } from '../../modules/services.js';
import type { ReconcileReport } from '../../modules/sync/reconcile.js';
import { migrateToLatest } from '../../store/migrate.js';

/**
 * `bdcert sync …` (docs/sync.md): enrolment tokens (province), joining a province and reconciliation (city), status
 * (both). The commands work on the node's own database and key store, so on the embedded database (PGlite, one
 * process) run them while the node is stopped, or use the same operations through the API of the running node
 * (`/api/v1/sync/*`); on PostgreSQL they run beside it.
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

async function withServices<T>(fn: (s: Services, config: Config) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const store = await openConfiguredStore(config);
  try {
    await migrateToLatest(store.db);
    return await fn(await createServices(config, store), config);
  } finally {
    await store.close();
  }
}

function fail(e: unknown): never {
  if (e instanceof ApiError) console.error(`${e.message} / ${e.messageEn}${e.field ? ` (${e.field})` : ''}`);
  else console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}

export function printReport(r: ReconcileReport, out: (l: string) => void): void {
  const zh = { ok: '一致', diverged: '不一致', failed: '失败' }[r.status];
  out(`对账 reconciliation: ${zh} / ${r.status} — ${r.daysCompared} 天 days, ${r.certificates} 本 certificates`);
  for (const d of r.diverging)
    out(
      `  ${d.day}: 市 city ${d.city.count} · 省 province ${d.province.count} — 缺 missing ${d.missing}, 不同 different ${d.different}, 多 extra ${d.extra}`,
    );
  if (r.repaired) out(`  已补发 re-sent: ${r.repaired}`);
  if (r.error) out(`  错误 error: ${r.error}`);
}

export function register(program: Command): void {
  const sync = program.command('sync').description('市—省同步 / city → province synchronisation (docs/sync.md)');

  sync
    .command('token')
    .description('签发市级节点注册令牌（省级节点）/ issue a one-time enrolment token for a city (province node)')
    .requiredOption('--label <text>', '用途说明 / what the token is for, e.g. 信阳市电子证照系统')
    .requiredOption('--regions <codes>', '授权行政区划代码前缀，逗号分隔 / region prefixes, e.g. 4115')
    .option('--ttl-hours <n>', '有效小时数 / validity in hours', '72')
    .action(async (o: { label: string; regions: string; ttlHours: string }) => {
      await withServices(async (s) => {
        if (!s.sync.isProvince)
          fail(new Error('仅省级节点可签发令牌 / only a province node (BDCERT_ROLE=province|all) issues tokens'));
        const regionCodes = o.regions
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        if (!regionCodes.every((r) => /^\d{2,6}$/.test(r))) fail(new Error('--regions: 2–6 digit prefixes, e.g. 4115'));
        const t = await s.sync.createToken({
          label: o.label,
          regionCodes,
          ttlHours: Number(o.ttlHours) || 72,
          actor: CLI_ACTOR,
        });
        console.log(t.token);
        console.error(`有效期至 / valid until ${t.expiresAt.toISOString()} — 仅显示一次 / shown once`);
      }).catch(fail);
    });

  sync
    .command('join')
    .description('本市级节点注册到省级节点 / join this city node to its province')
    .option('--province <url>', '省级节点地址 / province node URL (default BDCERT_PROVINCE_URL)')
    .requiredOption('--token <token>', '注册令牌 / enrolment token from the province')
    .action(async (o: { province?: string; token: string }) => {
      await withServices(async (s, config) => {
        const provinceUrl = o.province ?? config.sync.provinceUrl;
        if (!provinceUrl) fail(new Error('--province (or BDCERT_PROVINCE_URL) is required'));
        if (!s.sync.isCity) fail(new Error('仅市级节点可注册 / only a city node joins a province (BDCERT_ROLE=city)'));
        const r = await s.sync.join({ provinceUrl, token: o.token, baseUrl: config.baseUrl, actor: CLI_ACTOR });
        console.log(
          `已注册到 joined ${r.provinceName} (${r.provinceNodeId}); 辖区 regions ${r.regionCodes.join(',')}; 待推送目录 catalog queued ${r.queued}`,
        );
      }).catch(fail);
    });

  sync
    .command('status')
    .description('同步状态 / sync status (lag, last success, failures, backlog)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withServices(async (s) => {
        const st = await s.sync.status();
        if (o.json) return console.log(JSON.stringify(st, null, 2));
        console.log(`节点 node ${st.nodeId} (${st.role}), 模式 mode ${st.mode}`);
        const u = st.upstream;
        if (u)
          console.log(
            u.joined
              ? `上游 upstream ${u.provinceNodeId}: 已确认 acked ${u.ackedSeq}/${u.lastSeq}, 积压 backlog ${u.lagMessages}, 延迟 lag ${u.lagSeconds.toFixed(1)} s, 最近成功 last success ${u.lastSuccessAt ?? '—'}, 连续失败 failures ${u.consecutiveFailures}${u.lastError ? ` (${u.lastError})` : ''}`
              : '上游 upstream: 尚未注册 / not joined',
          );
        for (const p of st.peers)
          console.log(
            `节点 peer ${p.nodeId} (${p.kind}): 已确认 acked ${p.ackedSeq}, 等待 waiting ${p.waiting}, 证照 certificates ${p.certificates}, 拒收 rejected ${p.rejectedTotal}, 最近 last ${p.lastReceivedAt ?? '—'}`,
          );
      }).catch(fail);
    });

  sync
    .command('reconcile')
    .description(
      '与省级节点对账并补发差异（市级节点）/ reconcile with the province and repair (city node); exit 1 while divergent',
    )
    .option('--days <list>', '只比对这些日期 / only these days, e.g. 2026-11-20,2026-11-21')
    .option('--no-repair', '只报告，不补发 / report only')
    .action(async (o: { days?: string; repair: boolean }) => {
      await withServices(async (s) => {
        const days = o.days
          ?.split(',')
          .map((d) => d.trim())
          .filter(Boolean);
        let r = await s.sync.reconcile({ ...(days ? { days } : {}), repair: o.repair, actor: CLI_ACTOR });
        printReport(r, (l) => console.log(l));
        if (r.repaired && s.sync.relay) {
          // Push the repairs from here (the node may be stopped), then compare again.
          for (let i = 0; i < 100; i++) {
            const d = await s.sync.relay.drain();
            if (d.idle) break;
            if (d.error) throw new Error(d.error);
          }
          r = await s.sync.reconcile({ ...(days ? { days } : {}), repair: false, actor: CLI_ACTOR });
          printReport(r, (l) => console.log(l));
        }
        process.exitCode = r.status === 'ok' ? 0 : 1;
      }).catch(fail);
    });
}
