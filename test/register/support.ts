import ExcelJS from 'exceljs';
import type { FaceInput } from '../../src/domain/face-data.js';
import { toChineseRecord } from '../../src/domain/field-names.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P, SAMPLE_REGISTRATION_PROOF as R } from '../fixtures/domain/samples.js';

/** Synthetic register entries as the tables of a registration system would carry them (附件2 + entry columns). */
export const OWNER_A = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };
export const OWNER_B = { name: '王五', idType: '111', idNumber: '411526198503120026', holderType: '1' };

export const unitNo = (i: number) => `411526001002GB${String(i).padStart(5, '0')}F00010203`;

export type PropertyInput = Extract<FaceInput, { kind: 'property-certificate' }>;

export function propertyFace(i: number, holder = OWNER_A, registeredOn = '20261120'): PropertyInput {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
  return { ...rest, holders: [holder], coOwnership: '单独所有', registeredOn, unitNo: unitNo(i) };
}

export function mortgageFace(i: number, obligor = OWNER_A): FaceInput {
  const { proofNo: _a, identifier: _b, infoQr: _c, queryQr: _d, relatedCertificateNo: _e, ...rest } = R;
  return { ...rest, unitNo: unitNo(i), obligors: [{ name: obligor.name, idType: '111', idNumber: obligor.idNumber }] };
}

/**
 * One historical stock row (附件2 item names) of property certificate `i` registered in `year`: paper number
 * 豫(year)潢川县不动产权第000000i号, without the items stock has none of (identifier, QR codes, 证照类型).
 */
export function stockRow(i: number, year: number): Record<string, string> {
  const { identifier: _a, infoQr: _b, queryQr: _c, coOwners: _d, ...face } = P;
  const row = toChineseRecord('property-certificate', {
    ...face,
    holders: [OWNER_A],
    coOwnership: '单独所有',
    unitNo: unitNo(i),
    certificateNo: `豫(${year})潢川县不动产权第${String(i).padStart(7, '0')}号`,
    registeredOn: `${year}0615`,
  });
  for (const h of ['电子证照标识', '信息二维码', '查询二维码', '证照类型']) delete row[h];
  return row;
}

/** One entry as a table row keyed by Chinese column names. */
export function entryRow(e: {
  businessNo: string;
  type: string;
  recordedAt: string;
  unit: number;
  face?: FaceInput;
  extra?: Record<string, string>;
}): Record<string, string> {
  const face = e.face
    ? (() => {
        const row = toChineseRecord(e.face.kind, e.face as unknown as Record<string, unknown>);
        for (const k of ['电子证照标识', '信息二维码', '查询二维码', '不动产权证书号', '不动产登记证明号'])
          if (!(e.face.kind === 'registration-proof' && k === '不动产权证书号')) delete row[k];
        return row;
      })()
    : {};
  return {
    业务号: e.businessNo,
    登记类型: e.type,
    登簿时间: e.recordedAt,
    ...face,
    不动产单元号: unitNo(e.unit),
    坐落: e.face?.location ?? P.location,
    ...e.extra,
  };
}

/** CSV with the union of the rows' columns, in first-seen order. */
export function toCsv(rows: readonly Record<string, string>[]): string {
  const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${headers.join(',')}\n${rows.map((r) => headers.map((h) => esc(r[h] ?? '')).join(',')).join('\n')}\n`;
}

export async function toXlsx(rows: readonly Record<string, string>[]): Promise<Buffer> {
  const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('登簿');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(headers.map((h) => r[h] ?? ''));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
