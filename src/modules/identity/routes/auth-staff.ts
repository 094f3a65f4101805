import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuthenticated, requireStaffSession } from '../../../http/auth.js';
import { ApiError } from '../../../http/errors.js';
import { errors, noContent } from '../../../http/openapi.js';
import type { App } from '../../../http/server.js';
import type { IdentityService } from '../service.js';
import { clearSessionCookie, meta, SessionAnswer, StaffRoleSchema, setSessionCookie } from './common.js';

/** Staff sign-in: password (argon2id) then TOTP; logout; who am I (issue 7 §1; Nanyang Art. 20). */
export function staffAuthRoutes(identity: IdentityService, secureCookie: boolean): (app: App) => void {
  return (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];

    r.post(
      '/api/v1/auth/login',
      {
        schema: {
          tags,
          summary: '工作人员登录（用户名+密码）/ staff sign-in with user name and password',
          body: z
            .object({
              username: z.string().min(1).max(64).meta({ example: 'hc-registrar' }),
              password: z.string().min(1).max(256).meta({ example: 'Zheng-Shu-2026!' }),
            })
            .meta({ example: { username: 'hc-registrar', password: 'Zheng-Shu-2026!' } }),
          response: { 200: SessionAnswer, ...errors(400, 401) },
        },
      },
      async (req, reply) => {
        const s = await identity.loginStaff(req.body, meta(req));
        setSessionCookie(reply, s.token, s.expiresAt, secureCookie);
        return { token: s.token, expiresAt: s.expiresAt.toISOString(), next: s.next };
      },
    );

    r.post(
      '/api/v1/auth/totp',
      {
        preHandler: requireStaffSession(),
        schema: {
          tags,
          summary: '提交动态验证码（完成登录或绑定）/ submit the TOTP code (finishes sign-in or enrolment)',
          body: z
            .object({
              code: z
                .string()
                .regex(/^\d{6}$/)
                .meta({ example: '492039' }),
            })
            .meta({ example: { code: '492039' } }),
          response: { 200: SessionAnswer, ...errors(400, 401) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new Error('guarded');
        const s = await identity.verifyStaffTotp(principal, req.body.code, meta(req));
        setSessionCookie(reply, s.token, s.expiresAt, secureCookie);
        return { token: s.token, expiresAt: s.expiresAt.toISOString(), next: s.next };
      },
    );

    r.post(
      '/api/v1/auth/step-up',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags,
          summary: '二次验证（批量签章前）/ step-up with the second factor (before batch sealing)',
          description:
            '已绑定动态验证码的账号提交当前动态验证码（同一验证码不能重复使用）；仅演示模式下未绑定动态验证码的账号可提交登录密码。成功后本会话 5 分钟内可批量签章；失败计入登录锁定次数。',
          body: z
            .object({
              code: z.string().min(1, '请输入动态验证码||code is required').max(256).meta({
                description: '动态验证码（6 位）；演示模式下未绑定动态验证码的账号为登录密码',
                example: '492039',
              }),
            })
            .meta({ example: { code: '492039' } }),
          response: {
            200: z
              .object({ elevatedUntil: z.iso.datetime().meta({ description: '本会话二次验证有效期至' }) })
              .meta({ example: { elevatedUntil: '2026-11-22T08:05:00.000Z' } }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (req) => {
        const principal = req.principal;
        if (principal?.kind !== 'staff')
          throw new ApiError('FORBIDDEN', '仅工作人员可进行二次验证', 'Only staff sessions can step up');
        const r = await identity.stepUp(principal, req.body.code, meta(req));
        return { elevatedUntil: r.elevatedUntil.toISOString() };
      },
    );

    r.post(
      '/api/v1/auth/totp/enrol',
      {
        preHandler: requireStaffSession(),
        schema: {
          tags,
          summary: '开始绑定动态验证码 / start TOTP enrolment',
          description: '返回密钥与 otpauth 链接（可生成二维码），随后用 /api/v1/auth/totp 提交首个验证码完成绑定。',
          response: {
            200: z
              .object({ secret: z.string(), uri: z.string() })
              .meta({ example: { secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/…' } }),
            ...errors(409),
          },
        },
      },
      async (req) => {
        const principal = req.principal;
        if (!principal) throw new Error('guarded');
        return identity.beginTotpEnrolment(principal, meta(req));
      },
    );

    r.post(
      '/api/v1/auth/password',
      {
        preHandler: requireAuthenticated(),
        schema: {
          tags,
          summary: '修改本人密码 / change own password',
          body: z
            .object({
              oldPassword: z.string().min(1).max(256),
              newPassword: z.string().min(1).max(256).meta({ example: 'Xin-Mi-Ma-2026!' }),
            })
            .meta({ example: { oldPassword: 'Zheng-Shu-2026!', newPassword: 'Xin-Mi-Ma-2026!' } }),
          response: { 204: noContent, ...errors(400, 401) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new Error('guarded');
        await identity.changeOwnPassword(principal, req.body.oldPassword, req.body.newPassword, meta(req));
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/api/v1/auth/logout',
      {
        schema: { tags, summary: '退出登录（吊销会话）/ sign out (revokes the session)', response: { 204: noContent } },
      },
      async (req, reply) => {
        if (req.principal) await identity.logout(req.principal, meta(req));
        clearSessionCookie(reply);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/api/v1/auth/me',
      {
        schema: {
          tags,
          summary: '当前身份 / who am I',
          response: {
            200: z
              .discriminatedUnion('kind', [
                z.object({
                  kind: z.literal('staff'),
                  userId: z.string(),
                  username: z.string(),
                  displayName: z.string(),
                  agencyId: z.string(),
                  regionCode: z.string(),
                  roles: z.array(StaffRoleSchema),
                  mfa: z.boolean(),
                  totpEnabled: z
                    .boolean()
                    .meta({ description: '是否已绑定动态验证码（决定二次验证输入验证码还是密码）' }),
                }),
                z.object({ kind: z.literal('holder') }),
                z.object({
                  kind: z.literal('institution'),
                  clientId: z.string(),
                  agreementNo: z.string(),
                  institutionName: z.string(),
                  interfaces: z.array(z.string()),
                  validUntil: z.iso.datetime(),
                }),
              ])
              .meta({
                example: {
                  kind: 'staff',
                  userId: '7d1c…',
                  username: 'hc-registrar',
                  displayName: '李登簿',
                  agencyId: '0b5f…',
                  regionCode: '411526',
                  roles: ['registrar'],
                  mfa: true,
                  totpEnabled: true,
                },
              }),
            ...errors(401),
          },
        },
      },
      async (req) => {
        const p = req.principal;
        if (!p || p.kind === 'system')
          throw new ApiError('UNAUTHENTICATED', '请先登录或提供有效凭证', 'Authentication required');
        if (p.kind === 'holder') return { kind: 'holder' as const };
        if (p.kind === 'institution')
          return {
            kind: 'institution' as const,
            clientId: p.clientId,
            agreementNo: p.agreementNo,
            institutionName: p.institutionName,
            interfaces: [...p.interfaces],
            validUntil: p.validUntil.toISOString(),
          };
        const u = await identity.getStaffUser(p.userId);
        return {
          kind: 'staff' as const,
          userId: p.userId,
          username: u?.username ?? '',
          displayName: u?.displayName ?? '',
          agencyId: p.agencyId,
          regionCode: p.regionCode,
          roles: [...p.roles],
          mfa: p.mfa,
          totpEnabled: u?.totpEnabled ?? false,
        };
      },
    );
  };
}
