import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { staffMayActFor } from '../../../domain/access.js';
import { findVisibleOr404, requireStaff, staffPrincipal } from '../../../http/auth.js';
import { ApiError } from '../../../http/errors.js';
import { errors } from '../../../http/openapi.js';
import type { App } from '../../../http/server.js';
import { actorOf } from '../../audit/audit.js';
import type { IdentityService, StaffUserView } from '../service.js';
import { meta, StaffRoleSchema } from './common.js';

/**
 * Staff accounts (Henan 三(一)4: each agency manages accounts and permissions of its own staff). An agency admin sees
 * and changes only its own agency's users; another agency's user answers 404. Only a province admin grants
 * province-admin.
 */
const UserSchema = z
  .object({
    id: z.uuid(),
    agencyId: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    roles: z.array(StaffRoleSchema),
    totpEnabled: z.boolean(),
    locked: z.boolean(),
    disabled: z.boolean(),
    lastLoginAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({
    example: {
      id: '7d1c2f0a-3b4e-4c5d-9e6f-0a1b2c3d4e5f',
      agencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
      username: 'hc-registrar',
      displayName: '李登簿',
      roles: ['registrar'],
      totpEnabled: true,
      locked: false,
      disabled: false,
      lastLoginAt: '2026-11-22T08:30:00.000Z',
      createdAt: '2026-11-01T02:00:00.000Z',
    },
  });

const out = (u: StaffUserView) => ({
  ...u,
  roles: [...u.roles],
  lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
  createdAt: u.createdAt.toISOString(),
});

export function adminUserRoutes(identity: IdentityService): (app: App) => void {
  return (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['admin'];
    const admin = requireStaff('agency-admin');
    const IdParams = z.object({ id: z.uuid() });

    const visibleUser = (req: FastifyRequest, id: string) =>
      findVisibleOr404(
        () => identity.getStaffUser(id),
        (u) => staffMayActFor(req.principal, u.agencyId, 'agency-admin'),
      );

    r.get(
      '/api/v1/admin/users',
      {
        preHandler: admin,
        schema: {
          tags,
          summary: '本机构工作人员列表 / staff users of the agency',
          querystring: z.object({
            agencyId: z
              .uuid()
              .optional()
              .meta({ description: '省级管理员可指定机构 / province admins may name an agency' }),
          }),
          response: { 200: z.object({ items: z.array(UserSchema) }), ...errors(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        const agencyId = req.query.agencyId ?? p.agencyId;
        if (!staffMayActFor(p, agencyId, 'agency-admin'))
          throw new ApiError('NOT_FOUND', '未找到请求的资源', 'Not found');
        return { items: (await identity.listStaffUsers(agencyId)).map(out) };
      },
    );

    r.post(
      '/api/v1/admin/users',
      {
        preHandler: admin,
        schema: {
          tags,
          summary: '新建工作人员账户（返回一次性初始密码）/ create a staff user (returns a one-time initial password)',
          body: z
            .object({
              username: z
                .string()
                .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/)
                .meta({ example: 'hc-sealer' }),
              displayName: z.string().trim().min(1).max(64).meta({ example: '王缮证' }),
              roles: z.array(StaffRoleSchema).min(1),
              agencyId: z.uuid().optional(),
            })
            .meta({ example: { username: 'hc-sealer', displayName: '王缮证', roles: ['sealing-clerk'] } }),
          response: {
            201: z.object({ user: UserSchema, initialPassword: z.string() }).meta({
              example: {
                user: {
                  id: '7d1c2f0a-3b4e-4c5d-9e6f-0a1b2c3d4e5f',
                  agencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
                  username: 'hc-sealer',
                  displayName: '王缮证',
                  roles: ['sealing-clerk'],
                  totpEnabled: false,
                  locked: false,
                  disabled: false,
                  lastLoginAt: null,
                  createdAt: '2026-11-22T02:00:00.000Z',
                },
                initialPassword: 'Hk7p-Qm2x-Tz9c-Wd4f-7a',
              },
            }),
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const p = staffPrincipal(req);
        const agencyId = req.body.agencyId ?? p.agencyId;
        if (!staffMayActFor(p, agencyId, 'agency-admin'))
          throw new ApiError('NOT_FOUND', '未找到请求的资源', 'Not found');
        if (req.body.roles.includes('province-admin') && !p.roles.includes('province-admin'))
          throw new ApiError(
            'FORBIDDEN',
            '只有省级管理员可授予省级管理员角色',
            'Only a province admin grants province-admin',
          );
        const { user, password } = await identity.createStaffUser(
          { agencyId, username: req.body.username, displayName: req.body.displayName, roles: req.body.roles },
          actorOf(p),
          meta(req),
        );
        return reply.status(201).send({ user: out(user), initialPassword: password });
      },
    );

    r.get(
      '/api/v1/admin/users/:id',
      {
        preHandler: admin,
        schema: {
          tags,
          summary: '工作人员详情 / one staff user',
          params: IdParams,
          response: { 200: UserSchema, ...errors(400, 401, 403, 404) },
        },
      },
      async (req) => out(await visibleUser(req, req.params.id)),
    );

    r.patch(
      '/api/v1/admin/users/:id',
      {
        preHandler: admin,
        schema: {
          tags,
          summary: '修改角色、停用、解锁、重置动态验证码 / change roles, disable, unlock, reset TOTP',
          params: IdParams,
          body: z
            .object({
              displayName: z.string().trim().min(1).max(64).optional(),
              roles: z.array(StaffRoleSchema).min(1).optional(),
              disabled: z.boolean().optional(),
              unlock: z.literal(true).optional(),
              resetTotp: z.literal(true).optional(),
            })
            .meta({
              example: { displayName: '王缮证（缮证岗）', roles: ['registrar', 'sealing-clerk'], unlock: true },
            }),
          response: { 200: UserSchema, ...errors(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        await visibleUser(req, req.params.id);
        if (req.body.roles?.includes('province-admin') && !p.roles.includes('province-admin'))
          throw new ApiError(
            'FORBIDDEN',
            '只有省级管理员可授予省级管理员角色',
            'Only a province admin grants province-admin',
          );
        if (req.params.id === p.userId && (req.body.disabled || req.body.roles))
          throw new ApiError(
            'FORBIDDEN',
            '不能停用本人或修改本人角色',
            'You cannot disable yourself or change your own roles',
          );
        const { displayName, roles, disabled, unlock, resetTotp } = req.body;
        return out(
          await identity.updateStaffUser(
            req.params.id,
            {
              ...(displayName !== undefined ? { displayName } : {}),
              ...(roles !== undefined ? { roles } : {}),
              ...(disabled !== undefined ? { disabled } : {}),
              ...(unlock ? { unlock } : {}),
              ...(resetTotp ? { resetTotp } : {}),
            },
            actorOf(p),
            meta(req),
          ),
        );
      },
    );

    r.post(
      '/api/v1/admin/users/:id/password-reset',
      {
        preHandler: admin,
        schema: {
          tags,
          summary:
            '重置密码（返回一次性新密码，结束其全部会话）/ reset password (one-time new password; ends sessions)',
          params: IdParams,
          response: {
            200: z.object({ password: z.string() }).meta({ example: { password: 'Hk7p-Qm2x-Tz9c-Wd4f-7a' } }),
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (req) => {
        const p = staffPrincipal(req);
        await visibleUser(req, req.params.id);
        return { password: await identity.resetStaffPassword(req.params.id, actorOf(p), meta(req)) };
      },
    );
  };
}
