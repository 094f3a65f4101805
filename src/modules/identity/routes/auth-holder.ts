import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../../http/openapi.js';
import type { App } from '../../../http/server.js';
import type { IdentityService } from '../service.js';
import { meta, setSessionCookie } from './common.js';

/**
 * Holder sign-in (Sichuan Art. 11, 13: identity authentication before the holder downloads): name + ID number + phone
 * go to the real-name port, then a one-time SMS code. The ID number travels only in the POST body, never in a URL.
 */
export function holderAuthRoutes(identity: IdentityService, secureCookie: boolean): (app: App) => void {
  return (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];
    r.post(
      '/api/v1/auth/holder/sms',
      {
        schema: {
          tags,
          summary: '权利人登录第一步：实名核验并发送短信验证码 / holder sign-in step 1: real-name check and SMS code',
          body: z
            .object({
              name: z.string().trim().min(1).max(64).meta({ description: '姓名', example: '张三' }),
              idNumber: z
                .string()
                .trim()
                .regex(/^[0-9A-Za-z]{6,30}$/)
                .meta({ description: '证件号码（居民身份证号码）', example: '11010519491231002X' }),
              phone: z
                .string()
                .regex(/^1\d{10}$/)
                .meta({ description: '手机号码', example: '13812345678' }),
            })
            .meta({ example: { name: '张三', idNumber: '11010519491231002X', phone: '13812345678' } }),
          response: {
            200: z
              .object({
                challengeId: z.uuid(),
                expiresAt: z.iso.datetime(),
                maskedPhone: z.string(),
                demoCode: z
                  .string()
                  .optional()
                  .meta({ description: '仅演示模式（短信模拟器）返回 / only in demo mode with the SMS simulator' }),
              })
              .meta({
                example: {
                  challengeId: '5f0c9c2e-1f7a-4c59-8f5e-2f1d8c1b9a77',
                  expiresAt: '2026-11-22T15:05:00.000Z',
                  maskedPhone: '138****5678',
                },
              }),
            ...errors(400, 401, 429),
          },
        },
      },
      async (req) => {
        const r2 = await identity.startHolderSms(req.body, meta(req));
        return { ...r2, expiresAt: r2.expiresAt.toISOString() };
      },
    );
    r.post(
      '/api/v1/auth/holder/login',
      {
        schema: {
          tags,
          summary: '权利人登录第二步：提交短信验证码 / holder sign-in step 2: the SMS code',
          body: z
            .object({ challengeId: z.uuid(), code: z.string().regex(/^\d{6}$/) })
            .meta({ example: { challengeId: '5f0c9c2e-1f7a-4c59-8f5e-2f1d8c1b9a77', code: '358201' } }),
          response: {
            200: z
              .object({ token: z.string(), expiresAt: z.iso.datetime() })
              .meta({ example: { token: 'r8Qm…', expiresAt: '2026-11-22T15:30:00.000Z' } }),
            ...errors(400, 401),
          },
        },
      },
      async (req, reply) => {
        const s = await identity.verifyHolderSms(req.body, meta(req));
        setSessionCookie(reply, s.token, s.expiresAt, secureCookie);
        return { token: s.token, expiresAt: s.expiresAt.toISOString() };
      },
    );
  };
}
