import type { CertificateKind } from './catalog.js';

/**
 * The one mapping between our camelCase field names and the Henan notice 附件2 item names (Chinese), used by the
 * table importers and exporters (column headers), `bdcert validate` and the API documentation. List-valued items
 * (several 权利人 or 共有人) are written in one table cell separated by 、 (or ；), in the same order across the
 * aligned columns (权利人 / 权利人证件号 / 权利人证件种类 …).
 */
export interface FieldName {
  /** Our path: a top-level key, or `holders[].name` for an item of each list element. */
  readonly path: string;
  /** 附件2 信息项名称. */
  readonly zh: string;
  readonly en: string;
  /** 附件2: 必填 or 可以为空. */
  readonly required: boolean;
  /** Filled in by bdcert at issuance (标识, 二维码), not by the registration system. */
  readonly generated?: boolean;
}

const f = (path: string, zh: string, en: string, required: boolean, generated = false): FieldName =>
  generated ? { path, zh, en, required, generated } : { path, zh, en, required };

/** 附件2 不动产权证书, in the notice's order. */
export const PROPERTY_CERTIFICATE_FIELDS: readonly FieldName[] = [
  f('serialNo', '编号', 'printed form serial', false),
  f('certificateNo', '不动产权证书号', 'certificate number', true, true),
  f('identifier', '电子证照标识', 'e-certificate identifier', true, true),
  f('agencyName', '登记机构', 'registration agency', true),
  f('agencyCode', '登记机构代码', 'agency USCC', true),
  f('registeredOn', '登记时间', 'registration date (YYYYMMDD)', true),
  f('holders[].name', '权利人', 'right holder', true),
  f('holders[].idNumber', '权利人证件号', 'holder ID number', true),
  f('holders[].idType', '权利人证件种类', 'holder ID type code', true),
  f('holders[].holderType', '权利人类型', 'holder type code', true),
  f('coOwnership', '共有情况', 'co-ownership', true),
  f('coOwners[].name', '共有人', 'co-owner', false),
  f('coOwners[].idNumber', '共有人证件号', 'co-owner ID number', false),
  f('coOwners[].share', '共有比例', 'co-owner share (%)', false),
  f('coOwners[].relation', '与权利人关系', 'relation to the holder', false),
  f('separateCertificates', '分别持证标识', 'separate certificates flag (0/1)', false),
  f('unitNo', '不动产单元号', 'real estate unit number', true),
  f('location', '坐落', 'location', true),
  f('use', '用途', 'use', true),
  f('useCode', '用途代码', 'use code', true),
  f('area', '面积', 'area', true),
  f('areaUnit', '面积单位', 'area unit', true),
  f('areaUnitCode', '面积单位代码', 'area unit code', true),
  f('figureNote', '附图说明', 'figure note', false),
  f('figure', '附图', 'figure (image, base64)', false),
  f('boundaryPoints', '附图界址点', 'boundary points (x,y;x,y…)', false),
  f('rightType', '权利类型', 'right type', true),
  f('rightTypeCode', '权利类型代码', 'right type code', true),
  f('rightNature', '权利性质', 'right nature', false),
  f('rightNatureCode', '权力性质代码', 'right nature code', false),
  f('termFrom', '使用期限起', 'term from (YYYYMMDD)', false),
  f('termTo', '使用期限至', 'term to (YYYYMMDD)', false),
  f('remarks', '备注', 'remarks', false),
  f('otherRights', '权利其他状况', 'other rights status', true),
  f('notes', '附记', 'notes (附记)', false),
  f('notesPage', '附记页', 'notes page', false),
  f('figurePage', '附图页', 'figure page', false),
  f('infoQr', '信息二维码', 'information QR payload', true, true),
  f('queryQr', '查询二维码', 'query QR URL', true, true),
];

/** 附件2 不动产登记证明, in the notice's order. */
export const REGISTRATION_PROOF_FIELDS: readonly FieldName[] = [
  f('serialNo', '编号', 'printed form serial', false),
  f('proofNo', '不动产登记证明号', 'proof number', true, true),
  f('identifier', '电子证照标识', 'e-certificate identifier', true, true),
  f('agencyName', '登记机构', 'registration agency', true),
  f('agencyCode', '登记机构代码', 'agency USCC', true),
  f('registeredOn', '登记时间', 'registration date (YYYYMMDD)', true),
  f('holders[].name', '权利人', 'right holder (applicant)', true),
  f('holders[].idNumber', '权利人证件号', 'holder ID number', true),
  f('holders[].idType', '权利人证件种类', 'holder ID type code', true),
  f('relatedCertificateNo', '不动产权证书号', 'related certificate number', false),
  f('unitNo', '不动产单元号', 'real estate unit number', true),
  f('obligors[].name', '义务人', 'obligor', true),
  f('obligors[].idNumber', '义务人证件号', 'obligor ID number', true),
  f('obligors[].idType', '义务人证件种类', 'obligor ID type code', true),
  f('location', '坐落', 'location', true),
  f('matter', '证明权利或事项', 'right or matter proven', true),
  // 附件2 writes “权力或事项代码” (sic); both spellings are read.
  f('matterCode', '权力或事项代码', 'matter code', true),
  f('other', '其他', 'other (登记事项类型)', true),
  f('notes', '附记', 'notes (附记)', false),
  f('infoQr', '信息二维码', 'information QR payload', true, true),
  f('queryQr', '查询二维码', 'query QR URL', true, true),
];

/** Alternative headers seen in real tables (typos in 附件2 and their corrections). */
export const HEADER_ALIASES: Readonly<Record<string, string>> = {
  权利性质代码: '权力性质代码',
  权利或事项代码: '权力或事项代码',
  证明权力或事项: '证明权利或事项',
};

export function fieldsOf(kind: CertificateKind): readonly FieldName[] {
  return kind === 'property-certificate' ? PROPERTY_CERTIFICATE_FIELDS : REGISTRATION_PROOF_FIELDS;
}

/** 证照类型 column values accepted by importers and `bdcert render`. */
export function kindFromName(s: string): CertificateKind | undefined {
  const v = s.trim();
  if (v === '不动产权证书' || v === '中华人民共和国不动产权证书' || v === 'property-certificate')
    return 'property-certificate';
  if (v === '不动产登记证明' || v === 'registration-proof') return 'registration-proof';
  return undefined;
}

const LIST_SEP = /[、；;]/;

/**
 * Turns a record keyed by 附件2 Chinese names (a table row) into our nested shape. Values stay strings; the schema
 * converts and validates them, so every problem is reported with our field path. Unknown headers are returned so the
 * caller can report them.
 */
export function fromChineseRecord(
  kind: CertificateKind,
  row: Readonly<Record<string, unknown>>,
): { record: Record<string, unknown>; unknownHeaders: string[] } {
  const fields = fieldsOf(kind);
  const byZh = new Map(fields.map((x) => [x.zh, x]));
  const record: Record<string, unknown> = { kind };
  const lists: Record<string, Record<string, string[]>> = {};
  const unknownHeaders: string[] = [];
  for (const [rawHeader, rawValue] of Object.entries(row)) {
    const header = HEADER_ALIASES[rawHeader.trim()] ?? rawHeader.trim();
    if (header === '证照类型') continue;
    const value = rawValue === undefined || rawValue === null ? '' : String(rawValue).trim();
    const field = byZh.get(header);
    if (!field) {
      // A table may mix both kinds: the other kind's columns are empty on this row and are not reported.
      if (value !== '') unknownHeaders.push(rawHeader);
      continue;
    }
    if (value === '') continue;
    const m = /^(\w+)\[\]\.(\w+)$/.exec(field.path);
    if (m) {
      const key = m[1]!;
      const list = lists[key] ?? {};
      lists[key] = list;
      list[m[2]!] = value.split(LIST_SEP).map((s) => s.trim());
    } else if (field.path === 'boundaryPoints') {
      record.boundaryPoints = value
        .split(LIST_SEP)
        .filter(Boolean)
        .map((pair) => {
          const [x, y] = pair.split(/[,，\s]+/);
          return { x: x ?? '', y: y ?? '' };
        });
    } else {
      record[field.path] = value;
    }
  }
  for (const [name, cols] of Object.entries(lists)) {
    const n = Math.max(...Object.values(cols).map((v) => v.length));
    record[name] = Array.from({ length: n }, (_, i) =>
      Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[i] ?? ''])),
    );
  }
  return { record, unknownHeaders };
}

/** Our nested record → a row keyed by 附件2 Chinese names (for export). */
export function toChineseRecord(kind: CertificateKind, rec: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = { 证照类型: kind === 'property-certificate' ? '不动产权证书' : '不动产登记证明' };
  for (const field of fieldsOf(kind)) {
    const m = /^(\w+)\[\]\.(\w+)$/.exec(field.path);
    if (m) {
      const list = (rec[m[1]!] as Record<string, unknown>[] | undefined) ?? [];
      out[field.zh] = list.map((x) => (x[m[2]!] === undefined ? '' : String(x[m[2]!]))).join('、');
    } else if (field.path === 'boundaryPoints') {
      const pts = (rec.boundaryPoints as { x: number; y: number }[] | undefined) ?? [];
      out[field.zh] = pts.map((p) => `${p.x},${p.y}`).join(';');
    } else {
      const v = rec[field.path];
      out[field.zh] = v === undefined || v === null ? '' : String(v);
    }
  }
  return out;
}

/** Chinese name of a field path (e.g. `holders[1].idNumber` → 权利人证件号), for error messages. */
export function chineseNameOf(kind: CertificateKind, path: string): string | undefined {
  const generic = path.replace(/\[\d+\]/g, '[]');
  return fieldsOf(kind).find((x) => x.path === generic || x.path === generic.split('[]')[0])?.zh;
}
