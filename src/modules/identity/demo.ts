import type { StaffRole } from '../../domain/access.js';
import { DEMO_STEPS, type DemoContext, type DemoStep } from '../demo/seed.js';
import { openFieldCrypto } from '../privacy/master-key.js';
import { generatePassword } from './passwords.js';
import { IdentityService } from './service.js';

/**
 * Demo sign-ins (issue 7 §6): for each agency in the demo database, one user per staff role, keyed by the agency's
 * 行政区划代码 (e.g. `411526-registrar`), plus a province admin and a demo bank client under a sharing agreement.
 * Passwords are generated, never fixed; they are kept SM4-encrypted in app_meta so every demo start can print them in
 * the banner. Production never runs demo steps (seedDemo returns early), so no account or default password exists there.
 */
const META_KEY = 'demo.identity.credentials';
const ROLES: { suffix: string; role: StaffRole; zh: string }[] = [
  { suffix: 'admin', role: 'agency-admin', zh: '机构管理员' },
  { suffix: 'registrar', role: 'registrar', zh: '登簿人员' },
  { suffix: 'sealer', role: 'sealing-clerk', zh: '缮证（签章）人员' },
  { suffix: 'auditor', role: 'auditor', zh: '审计人员' },
];

interface Saved {
  users: { username: string; password: string; label: string }[];
  client?: { clientId: string; secret: string; label: string };
}

export const identityDemoStep: DemoStep = {
  name: 'identity: demo staff users and a demo bank client',
  async run(ctx: DemoContext) {
    if (ctx.config.mode !== 'demo') return;
    const db = ctx.store.db;
    const fc = openFieldCrypto(ctx.config);
    const row = await db.selectFrom('app_meta').select('value').where('key', '=', META_KEY).executeTakeFirst();
    const saved: Saved = row ? (JSON.parse(fc.decrypt(row.value)) as Saved) : { users: [] };
    const agencies = await db
      .selectFrom('agencies')
      .select(['id', 'name', 'region_code', 'level'])
      .orderBy('region_code')
      .execute();
    if (agencies.length === 0) {
      ctx.notes.push('演示账号：尚无登记机构，下次启动时创建 / demo sign-ins: no agency yet, created on a later start');
      return;
    }
    const identity = new IdentityService({
      db,
      fieldCrypto: fc,
      now: () => new Date(),
      mode: 'demo',
      sms: { simulator: true, send: async () => {} },
      realName: { simulator: true, verify: async () => ({ ok: false, reason: 'UNAVAILABLE' }) },
    });
    const actor = { kind: 'system', id: 'demo-seed' } as const;
    const existing = new Set((await db.selectFrom('staff_users').select('username').execute()).map((u) => u.username));
    const wanted: { agencyId: string; username: string; role: StaffRole; label: string }[] = [];
    for (const a of agencies)
      for (const r of ROLES)
        wanted.push({
          agencyId: a.id,
          username: `${a.region_code}-${r.suffix}`,
          role: r.role,
          label: `${a.name} ${r.zh}`,
        });
    const top = agencies.find((a) => a.level === 'province') ?? agencies[0];
    if (top) wanted.push({ agencyId: top.id, username: 'province-admin', role: 'province-admin', label: '省级管理员' });
    let changed = false;
    for (const w of wanted) {
      if (existing.has(w.username)) continue;
      const password = generatePassword();
      await identity.createStaffUser(
        { agencyId: w.agencyId, username: w.username, displayName: w.label, roles: [w.role], password },
        actor,
      );
      saved.users.push({ username: w.username, password, label: w.label });
      changed = true;
    }
    if (!saved.client) {
      const now = new Date();
      const until = new Date(now);
      until.setUTCFullYear(until.getUTCFullYear() + 2);
      const agreementId = await identity.createAgreement(
        {
          agreementNo: 'DEMO-GX-0001',
          institutionName: '演示银行股份有限公司（演示）',
          institutionUscc: '91410000MA00DEMO0X',
          certificateTypes: [],
          interfaces: ['search', 'download', 'info', 'verify'],
          regionCodes: [...new Set(agencies.map((a) => a.region_code.slice(0, 2)))],
          validFrom: now,
          validUntil: until,
        },
        actor,
      );
      const c = await identity.createApiClient({ agreementId, name: '演示银行信贷系统' }, actor);
      saved.client = { ...c, label: '演示银行（共享协议 DEMO-GX-0001）' };
      changed = true;
    }
    if (changed) {
      const value = fc.encrypt(JSON.stringify(saved));
      await db
        .insertInto('app_meta')
        .values({ key: META_KEY, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    }
    ctx.notes.push('演示账号（仅演示模式）/ demo sign-ins (demo mode only):');
    for (const u of saved.users) ctx.notes.push(`  ${u.username.padEnd(18)} ${u.password}   ${u.label}`);
    if (saved.client)
      ctx.notes.push(
        `  接口凭证 API client: ${saved.client.clientId} / ${saved.client.secret}   ${saved.client.label}`,
      );
    // One-time codes never reach the logs (issue 7 §7); in demo mode the sign-in page shows the simulator's code.
    ctx.notes.push(
      '  权利人登录验证码（演示）直接显示在登录页 / holder SMS codes (demo) are shown on the sign-in page',
    );
    ctx.notes.push(
      '  批量签章前须二次验证：未绑定动态验证码的演示账号输入登录密码 / batch sealing asks for a step-up: demo accounts without TOTP enter their password',
    );
  },
};

/** Adds the step once (after the catalog's agency step when that module was imported first). */
export function registerIdentityDemo(): void {
  if (!DEMO_STEPS.includes(identityDemoStep)) DEMO_STEPS.push(identityDemoStep);
}
