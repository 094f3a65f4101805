import { z } from 'zod';
import { FaceInput } from '../../domain/face-data.js';

/**
 * A register entry (登簿) as the registration system sends it, by API (`POST /api/v1/register/entries`) or as a table
 * row: the 业务号 makes it idempotent; the face data is the 附件2 record without the items bdcert generates.
 */
export const RegisterEntryInput = z
  .object({
    businessNo: z
      .string({ error: '业务号必填||businessNo is required' })
      .trim()
      .regex(/^[0-9A-Za-z-]{4,40}$/, '业务号应为4–40位字母、数字或连字符||businessNo: 4–40 letters, digits or hyphens'),
    agencyId: z.uuid().optional().meta({ description: '登记机构（系统客户端调用时必填；工作人员调用时取其所属机构）' }),
    registrationType: z
      .enum(['100', '200', '300', '400', '500', '600', '700', '800', '900'], {
        error: '登记类型应为TD/T 1066登记类型代码（100首次…900其他）||registrationType: a TD/T 1066 DJLX code',
      })
      .meta({ description: '登记类型：100首次 200转移 300变更 400注销 500更正 600异议 700预告 800查封 900其他' }),
    recordedAt: z.iso.datetime({ offset: true, error: '登簿时间应为ISO 8601时间||recordedAt: ISO 8601 date-time' }),
    caseId: z.string().max(64).optional().meta({ description: '办件编号（全省通办案件）' }),
    unitNo: z.string().trim().min(1, '不动产单元号必填||unitNo is required'),
    location: z.string().trim().min(1, '坐落必填||location is required').max(500),
    face: FaceInput.optional().meta({ description: '照面信息（生成证照的登记必填；字段见附件2）' }),
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
      businessNo: '202611200001',
      registrationType: '200',
      recordedAt: '2026-11-20T10:30:00+08:00',
      unitNo: '411526001002GB00123F00010203',
      location: '潢川县春申街道跃进路88号幸福家园小区3号楼2单元203室',
      face: {
        kind: 'property-certificate',
        agencyName: '潢川县自然资源局',
        agencyCode: '11411526MB1A00028N',
        registeredOn: '20261120',
        holders: [{ name: '张三', idType: '111', idNumber: '411526198503120026', holderType: '1' }],
        coOwnership: '单独所有',
        unitNo: '411526001002GB00123F00010203',
        location: '潢川县春申街道跃进路88号幸福家园小区3号楼2单元203室',
        use: '住宅',
        useCode: '10',
        area: 98.56,
        areaUnit: '平方米',
        areaUnitCode: '1',
        rightType: '国有建设用地使用权/房屋（构筑物）所有权',
        rightTypeCode: '4',
        otherRights: '房屋结构：钢筋混凝土结构',
      },
      paperRecall: { method: 'returned' },
    },
  });
export type RegisterEntryInput = z.infer<typeof RegisterEntryInput>;
