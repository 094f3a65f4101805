import { z } from 'zod';
import { API_ERRORS, type ApiErrorCode, DEFAULT_MESSAGES } from './errors.js';

/**
 * Shared pieces of the OpenAPI document (issue 7: every endpoint with schemas and Chinese examples): the error
 * envelope per status, binary downloads with their content type, and the example values the routes reuse so that
 * one certificate, one agency and one holder run through the whole document (the demo agency 潢川县自然资源局 and the
 * sample 不动产权证书 of the test fixtures).
 */
export const EX = {
  agencyId: '0b5f2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
  agencyName: '潢川县自然资源局',
  agencyUscc: '11411526MB1A00028N',
  regionCode: '411526',
  certificateId: '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
  entryId: '8e3d1c2b-4a5f-4e6d-9c8b-7a6f5e4d3c2b',
  userId: '7d1c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b',
  sealId: '2c4e6a8b-1d3f-4a5c-8e7b-9d0f1a2b3c4d',
  importId: '9a1c7e20-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
  batchId: '6f7e8d9c-0b1a-4c2d-8e3f-4a5b6c7d8e9f',
  certificateNo: '豫(2026)潢川县不动产权第0000123号',
  proofNo: '豫(2026)潢川县不动产证明第0000045号',
  identifier: '1.2.156.3005.2.11100000MB03271699001.11411526MB1A00028N.20260000123.001.6',
  unitNo: '411526001002GB00123F00010203',
  location: '潢川县春申街道跃进路88号幸福家园小区3号楼2单元203室',
  businessNo: '202611200001',
  holderName: '张三',
  holderMasked: '张*',
  idNumberMasked: '4115**********0026',
  idNumber: '411526198503120026',
  verifyToken: 'q7Xv2LmN9sKd4RtY8wPz3A',
  requestId: 'b1c2d3e4-0000-4000-8000-000000000001',
  at: '2026-11-20T10:00:00.000Z',
  // Node-to-node sync (docs/sync.md): the province, a city enrolled with it, and well-formed (not real) SM2 values.
  provinceNodeId: 'province-41',
  provinceName: '河南省电子证照系统',
  cityNodeId: 'city-4115',
  cityName: '信阳市电子证照系统',
  cityUrl: 'https://dzzz.xinyang.gov.cn',
  provinceUrl: 'https://dzzz.hnzwfw.gov.cn',
  enrolmentToken: 'bdc1.province-41.d69EnMOTKc0hV7YjTEO44ay96PsYuOp4VSd4lCmF8Gs.32fff647b4ba71d6',
  nonce: 'NG_UWlG-PlHhvr3bXh9tjEwa',
  sm2Signature:
    '30450221004a902409cb30d7c713ebb47a84de2939c77b72b60131486175bf19e0e226a62a0220990e2a36da33aa73444333849fc4affa1c8ff0dd5ad1e101dbcd31d89ed2e6b2',
  sm2PublicKey:
    '0455f01045d103d2eaf39a5c69a11f27925a7e079dede916b4bb4932de2e179e34f07ee2716b9808f09b5a5728c0136f18e66b234df2c6cdb7a2ec711b4d4d3789',
  sm2PublicKey2:
    '04c8e1610762352efac1c92c72a8b989f7a3bbfbf8ae1fa9ca81fe132fc49cc1ca51cbc252fec047dc16b7d5b3e7469a9c10d5467f919b480e71ba8c61a9a2a7b1',
  sm3: '628f564025534cf801444bbd11de37b5164bb13f481d4f28e956621e3aaeb567',
  sm3b: 'b9aadbae0c30260568a759397959d06c6253afc30de693a3f7f04c09fd73b7b4',
  esId: '4115260000002',
  sealName: '潢川县自然资源局不动产登记专用章',
} as const;

/**
 * The 附件2 face data of the sample 不动产权证书 (as the registration system sends it in a register entry); routes
 * that take or show face data start from it.
 */
export const EX_FACE = {
  kind: 'property-certificate',
  agencyName: EX.agencyName,
  agencyCode: EX.agencyUscc,
  registeredOn: '20261120',
  holders: [{ name: EX.holderName, idType: '111', idNumber: EX.idNumber, holderType: '1' }],
  coOwnership: '单独所有',
  unitNo: EX.unitNo,
  location: EX.location,
  use: '住宅',
  useCode: '10',
  area: 98.56,
  areaUnit: '平方米',
  areaUnitCode: '1',
  rightType: '国有建设用地使用权/房屋（构筑物）所有权',
  rightTypeCode: '4',
  otherRights: '房屋结构：钢筋混凝土结构',
} as const;

const ProblemSchema = z.object({
  code: z.string(),
  field: z.string().optional(),
  message: z.string(),
  messageEn: z.string(),
  severity: z.string(),
});

/** The one error envelope (src/http/server.ts error handler). `problems` lists every finding of a validation. */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string().meta({ description: '稳定的错误代码 / stable error code' }),
    message: z.string().meta({ description: '中文说明 / message in Chinese' }),
    messageEn: z.string(),
    field: z.string().optional().meta({ description: '出错的字段 / field concerned' }),
    requestId: z.string(),
    problems: z.array(ProblemSchema).optional(),
  }),
});

/** A status → the envelope with an example of the code that status carries. */
const ERROR_OF_STATUS: Record<number, ApiErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'NOT_READY',
};

const DESCRIPTIONS: Record<number, string> = {
  400: '请求校验未通过 / the request did not pass validation',
  401: '未登录或凭证无效 / not signed in or bad credentials',
  403: '无权执行 / not allowed',
  404: '不存在，或不属于调用者（与不存在无法区分）/ missing, or not the caller’s (indistinguishable)',
  409: '与现有数据冲突 / conflicts with existing data',
  413: '请求内容过大 / payload too large',
  415: '不支持的内容类型 / unsupported content type',
  422: '业务规则不允许 / refused by a business rule',
  429: '请求过于频繁 / rate limited',
  503: '服务暂不可用 / not ready',
};

const EXAMPLE_MESSAGES: Partial<Record<ApiErrorCode, { message: string; messageEn: string; field?: string }>> = {
  VALIDATION_FAILED: { message: 'unitNo：不动产单元号应为28位', messageEn: 'unitNo: 28 characters', field: 'unitNo' },
  NOT_FOUND: { message: '未找到请求的资源', messageEn: 'Not found' },
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

export function errorResponse(status: ErrorStatus) {
  const code = ERROR_OF_STATUS[status] ?? 'BAD_REQUEST';
  const [message, messageEn] = DEFAULT_MESSAGES[code];
  const given = EXAMPLE_MESSAGES[code];
  return ErrorEnvelope.meta({
    description: DESCRIPTIONS[status] ?? `HTTP ${status}`,
    example: {
      error: {
        code,
        message: given?.message ?? message,
        messageEn: given?.messageEn ?? messageEn,
        ...(given?.field ? { field: given.field } : {}),
        requestId: EX.requestId,
      },
    },
  });
}

/** `...errors(400, 401, 404)` in a route's `response`: the envelope for each status, with its own example. */
export function errors<S extends ErrorStatus>(...statuses: S[]): Record<S, ReturnType<typeof errorResponse>> {
  const out = {} as Record<S, ReturnType<typeof errorResponse>>;
  for (const s of statuses) {
    if (API_ERRORS[ERROR_OF_STATUS[s] as ApiErrorCode] !== s) throw new Error(`no error code for ${s}`);
    out[s] = errorResponse(s);
  }
  return out;
}

/**
 * A file in the response body: OFD, PDF, ZIP, CSV, XLSX, PNG … (the schema says binary, the media type which). The
 * schema is `unknown` to zod so the handler's Buffer passes; Fastify sends Buffers unserialised.
 */
export function binary(description: string, ...contentTypes: string[]) {
  return {
    description,
    content: Object.fromEntries(
      contentTypes.map((t) => [t, { schema: z.unknown().meta({ type: 'string', format: 'binary', description }) }]),
    ),
  };
}

/** A raw file as the request body (not JSON): documented as binary; the route's content-type parser gives a Buffer. */
export const uploadedFile = (description: string) =>
  z.unknown().meta({ type: 'string', format: 'binary', description });

/** 204: nothing in the body. */
export const noContent = z.null().meta({ description: '成功，无响应体 / done, no body' });

/** The MIME types of the files the API serves. */
export const MIME = {
  ofd: 'application/ofd',
  pdf: 'application/pdf',
  zip: 'application/zip',
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  png: 'image/png',
} as const;
