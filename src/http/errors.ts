import type { Problem } from '../domain/problem.js';

/**
 * The closed set of API error codes and their HTTP status. Every error the API returns uses one of these, in the one
 * envelope `{"error": {"code", "message", "messageEn", "field"?, "requestId", "problems"?}}`.
 */
export const API_ERRORS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /** A fresh second factor is needed first (POST /api/v1/auth/step-up), e.g. before batch sealing (issue 8). */
  STEP_UP_REQUIRED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly messageEn: string,
    readonly field?: string,
    readonly problems?: readonly Problem[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
  }
}

export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    messageEn: string;
    field?: string;
    requestId: string;
    problems?: readonly Problem[];
  };
}

/** Chinese/English defaults per code, used when a lower layer gives no message of its own. */
export const DEFAULT_MESSAGES: Record<ApiErrorCode, [string, string]> = {
  VALIDATION_FAILED: ['请求数据校验未通过', 'The request did not pass validation'],
  BAD_REQUEST: ['请求格式错误', 'Malformed request'],
  UNAUTHENTICATED: ['请先登录或提供有效凭证', 'Authentication required'],
  FORBIDDEN: ['无权执行此操作', 'Not allowed'],
  STEP_UP_REQUIRED: ['请先完成二次验证', 'Confirm with your second factor first'],
  NOT_FOUND: ['未找到请求的资源', 'Not found'],
  METHOD_NOT_ALLOWED: ['不支持该请求方法', 'Method not allowed'],
  CONFLICT: ['与现有数据冲突', 'Conflicts with existing data'],
  PAYLOAD_TOO_LARGE: ['请求内容过大', 'Payload too large'],
  UNSUPPORTED_MEDIA_TYPE: ['不支持的内容类型', 'Unsupported media type'],
  UNPROCESSABLE: ['请求无法处理', 'The request cannot be processed'],
  RATE_LIMITED: ['请求过于频繁，请稍后再试', 'Too many requests, try again later'],
  INTERNAL: ['服务器内部错误，请稍后再试', 'Internal server error'],
  NOT_READY: ['服务暂不可用', 'Service not ready'],
};
