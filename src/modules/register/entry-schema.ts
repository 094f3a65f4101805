import { z } from 'zod';
import type { CertificateKind } from '../../domain/catalog.js';
import { FaceInput, PropertyCertificateInput, RegistrationProofInput } from '../../domain/face-data.js';
import { fieldsOf } from '../../domain/field-names.js';
import { EX, EX_FACE } from '../../http/openapi.js';

/**
 * The face-data schemas with each item's 附件2 Chinese name (field-names.ts) as its OpenAPI description, so the API
 * docs read 坐落, 权利其他状况 … beside our camelCase names (DESIGN.md “Conventions”: one mapping table, used by the
 * importers and the API docs). Only metadata is added: the schemas validate exactly as the domain's.
 */
function describedObject<T extends z.ZodObject>(obj: T, names: ReadonlyMap<string, string>, prefix: string): T {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
    const path = `${prefix}${key}`;
    shape[key] = describedField(field, names, path);
  }
  return obj.extend(shape) as unknown as T;
}

function describedField(field: z.ZodType, names: ReadonlyMap<string, string>, path: string): z.ZodType {
  const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
  let out: z.ZodType = inner;
  if (inner instanceof z.ZodArray && inner.element instanceof z.ZodObject) {
    // A list item (权利人、共有人、义务人 …): its fields are described; the array keeps its own checks.
    const element = describedObject(inner.element, names, `${path}[].`);
    out = inner.clone({ ...inner._zod.def, element });
  }
  const own = names.get(path);
  const items = [...names].filter(([p]) => p.startsWith(`${path}[].`)).map(([, zh]) => zh);
  const description = own ?? (items.length ? items.join('、') : undefined);
  if (field instanceof z.ZodOptional) out = out.optional();
  return description ? out.meta({ description }) : out;
}

function namesOf(kind: CertificateKind): ReadonlyMap<string, string> {
  return new Map(fieldsOf(kind).map((f) => [f.path, `${f.zh}${f.required ? '（必填）' : '（可以为空）'}`]));
}

export const FaceInputDocumented = FaceInput.clone({
  ...FaceInput._zod.def,
  options: [
    describedObject(PropertyCertificateInput, namesOf('property-certificate'), '').meta({
      description: '不动产权证书照面信息（附件2）',
    }),
    describedObject(RegistrationProofInput, namesOf('registration-proof'), '').meta({
      description: '不动产登记证明照面信息（附件2）',
    }),
  ],
});

/**
 * A register entry (登簿) as the registration system sends it, by API (`POST /api/v1/register/entries`) or as a table
 * row: the 业务号 makes it idempotent; the face data is the 附件2 record without the items bdcert generates.
 */
export const RegisterEntryInput = z
  .object({
    businessNo: z
      .string({ error: '业务号必填||businessNo is required' })
      .trim()
      .regex(/^[0-9A-Za-z-]{4,40}$/, '业务号应为4–40位字母、数字或连字符||businessNo: 4–40 letters, digits or hyphens')
      .meta({ description: '业务号（幂等键：同一业务号重复提交不产生变化）' }),
    agencyId: z.uuid().optional().meta({ description: '登记机构（系统客户端调用时必填；工作人员调用时取其所属机构）' }),
    registrationType: z
      .enum(['100', '200', '300', '400', '500', '600', '700', '800', '900'], {
        error: '登记类型应为TD/T 1066登记类型代码（100首次…900其他）||registrationType: a TD/T 1066 DJLX code',
      })
      .meta({ description: '登记类型：100首次 200转移 300变更 400注销 500更正 600异议 700预告 800查封 900其他' }),
    recordedAt: z.iso
      .datetime({ offset: true, error: '登簿时间应为ISO 8601时间||recordedAt: ISO 8601 date-time' })
      .meta({ description: '登簿时间' }),
    caseId: z.string().max(64).optional().meta({ description: '办件编号（全省通办案件）' }),
    unitNo: z.string().trim().min(1, '不动产单元号必填||unitNo is required').meta({ description: '不动产单元号' }),
    location: z.string().trim().min(1, '坐落必填||location is required').max(500).meta({ description: '坐落' }),
    face: FaceInputDocumented.optional().meta({ description: '照面信息（生成证照的登记必填；字段见附件2）' }),
    seizure: z
      .object({
        type: z
          .enum(['1', '2', '3', '4', '5'])
          .meta({ description: '查封类型：1查封 2轮候查封 3预查封 4轮候预查封 5续封' }),
        court: z.string().trim().min(1, '查封机关必填||court is required').max(200),
        caseNo: z.string().trim().min(1, '查封文号必填||caseNo is required').max(100),
      })
      .optional(),
    cancels: z
      .object({
        target: z.enum(['right', 'mortgage', 'seizure', 'objection', 'advance-notice']),
        certificateNo: z.string().optional(),
        restrictionId: z.uuid().optional(),
      })
      .optional()
      .meta({ description: '注销登记注销的对象' }),
    paperRecall: z
      .object({
        method: z
          .enum(['returned', 'public-notice', 'none-issued'])
          .meta({ description: 'returned 交回 · public-notice 公告作废 · none-issued 未核发纸质证书' }),
        noticeRef: z.string().max(200).optional(),
      })
      .refine((r) => r.method !== 'public-notice' || !!r.noticeRef, {
        message: '公告作废须填写公告文号||a public-notice recall needs the notice reference',
        path: ['noticeRef'],
      })
      .optional()
      .meta({ description: '原纸质证书的收回方式（四川第十条）' }),
  })
  .meta({
    example: {
      businessNo: EX.businessNo,
      registrationType: '200',
      recordedAt: '2026-11-20T10:30:00+08:00',
      unitNo: EX.unitNo,
      location: EX.location,
      face: EX_FACE,
      paperRecall: { method: 'returned' },
    },
  });
export type RegisterEntryInput = z.infer<typeof RegisterEntryInput>;

/** What recording an entry produced (the single-entry, batch and replay answers share it). */
export const EntryOutcome = z
  .object({
    document: z.enum(['property-certificate', 'registration-proof', 'none']),
    certificateId: z.uuid().optional(),
    certificateNo: z.string().optional(),
    identifier: z.string().optional(),
    superseded: z.array(z.uuid()).optional(),
    restrictionId: z.uuid().optional(),
    reason: z.string(),
  })
  .meta({
    example: {
      document: 'property-certificate',
      certificateId: EX.certificateId,
      certificateNo: EX.certificateNo,
      identifier: EX.identifier,
      reason: '其他登记事项生成不动产权证书（四川第六条）',
    },
  });
