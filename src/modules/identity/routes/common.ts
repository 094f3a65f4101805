import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { STAFF_ROLES } from '../../../domain/access.js';
import { ErrorEnvelope } from '../../../http/openapi.js';
import { SESSION_COOKIE } from '../sessions.js';

export const meta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });

export const StaffRoleSchema = z.enum(STAFF_ROLES).meta({
  description:
    '角色：registrar 登簿人员、sealing-clerk 缮证（签章）人员、agency-admin 机构管理员、auditor 审计人员、province-admin 省级管理员',
  example: 'registrar',
});

export const SessionAnswer = z
  .object({
    token: z
      .string()
      .meta({ description: '会话令牌（也以 HttpOnly Cookie 下发）/ session token (also set as HttpOnly cookie)' }),
    expiresAt: z.iso.datetime(),
    next: z
      .enum(['done', 'totp', 'totp-enrol'])
      .meta({ description: 'done 已登录；totp 须输入动态验证码；totp-enrol 须先绑定动态验证码' }),
  })
  .meta({ example: { token: 'kq3V…', expiresAt: '2026-11-22T20:00:00.000Z', next: 'totp' } });

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean): void {
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
}

/** The shared error envelope (src/http/openapi.ts), with a sign-in failure as its example. */
export const ErrorSchema = ErrorEnvelope.meta({
  example: {
    error: {
      code: 'UNAUTHENTICATED',
      message: '用户名或密码错误',
      messageEn: 'Wrong user name or password',
      requestId: 'b1c2…',
    },
  },
});
