import { ApiError } from '../../http/errors.js';

/** The identity context's refusals, each with a stable reason code used in the audit log. */
export const invalidCredentials = () =>
  new ApiError('UNAUTHENTICATED', '用户名或密码错误', 'Wrong user name or password');
export const accountLocked = (until: Date) =>
  new ApiError(
    'UNAUTHENTICATED',
    `登录失败次数过多，账户已临时锁定至 ${until.toISOString()}`,
    `Too many failed attempts; the account is locked until ${until.toISOString()}`,
  );
export const accountDisabled = () => new ApiError('UNAUTHENTICATED', '账户已停用', 'The account is disabled');
export const wrongTotp = () => new ApiError('UNAUTHENTICATED', '动态验证码错误', 'Wrong one-time code', 'code');
export const notFound = () => new ApiError('NOT_FOUND', '未找到请求的资源', 'Not found');
