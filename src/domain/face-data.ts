import { z } from 'zod';
import { type CertificateKind, KIND_NAMES } from './catalog.js';
import { checkCertificateNumber } from './certificate-number.js';
import { type CodeTables, proofMatterNames, tableOf } from './codes/override.js';
import { AREA_UNITS, codeName, HOUSE_USES, ID_TYPES, LAND_USES, RIGHT_NATURES, RIGHT_TYPES } from './codes/tables.js';
import { checkIdentifier } from './identifier.js';
import { type Checked, hasErrors, type Problem, problem } from './problem.js';
import { isCalendarDate } from './validators/dates.js';
import { checkIdNumber } from './validators/id-number.js';
import { checkUnitNumber, normaliseUnitNumber, plausibleRightTypes } from './validators/unit-number.js';
import { checkUscc } from './validators/uscc.js';
import { zodIssuesToProblems } from './zod-problems.js';

/**
 * 照面信息 — face data of the two certificate kinds, item for item as Henan notice 附件2 lists them, required or
 * optional exactly as 附件2 says (必填 / 可以为空). Field names map to the Chinese item names in field-names.ts.
 * Items bdcert fills in at issuance (证号, 电子证照标识, the two QR codes) are required in a complete record and
 * absent from what the registration system sends (`stage: 'input'`).
 */
const req = (zh: string, en: string) => `${zh}必填||${en} is required`;
const text = (zh: string, en: string, max = 500) =>
  z
    .string({ error: req(zh, en) })
    .trim()
    .min(1, req(zh, en))
    .max(max, `${zh}不超过${max}个字符||${en}: at most ${max} characters`);
const optText = (max = 2000) => z.string().trim().max(max).optional();

/** YYYYMMDD naming a real day (附件2: 年、月、日标全，月、日不标虚位 — the form is 8 digits). */
const ymd = (zh: string, en: string) =>
  z
    .string({ error: req(zh, en) })
    .trim()
    .refine(isCalendarDate, `${zh}应为有效日期，格式YYYYMMDD||${en} must be a real date as YYYYMMDD`);

const positiveNumber = (zh: string, en: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.trim())) : v),
    z
      .number({ error: `${zh}应为数字||${en} must be a number` })
      .refine(Number.isFinite, `${zh}应为数字||${en} must be a number`)
      .positive(`${zh}必须大于0||${en} must be greater than 0`),
  );

/** 共有比例: 0–100 %, written "50", "50%" or 50. */
const share = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.trim().replace(/[%％]$/, ''))) : v),
  z
    .number({ error: '共有比例应为0–100之间的数字||share must be a number 0–100' })
    .min(0, '共有比例应在0%–100%之间||share must be between 0 and 100 %')
    .max(100, '共有比例应在0%–100%之间||share must be between 0 and 100 %'),
);

const code3 = z
  .string()
  .trim()
  .regex(/^\d{3}$/, '证件种类代码应为3位数字（C0203 附录B.2）||ID type is a 3-digit code (C0203 B.2)');

const Holder = z.object({
  name: text('权利人', 'holder name', 200),
  idType: code3,
  idNumber: text('权利人证件号', 'holder ID number', 50),
  holderType: text('权利人类型', 'holder type', 10),
});

const ProofParty = z.object({
  name: text('姓名或名称', 'name', 200),
  idType: code3,
  idNumber: text('证件号', 'ID number', 50),
});

const CoOwner = z.object({
  name: text('共有人', 'co-owner name', 200),
  idNumber: z.string().trim().max(50).optional(),
  share: share.optional(),
  relation: optText(100),
});

const Point = z.object({
  x: z.preprocess(
    (v) => (typeof v === 'string' ? Number(v) : v),
    z.number({ error: '界址点坐标应为数字||coordinate must be a number' }).refine(Number.isFinite),
  ),
  y: z.preprocess(
    (v) => (typeof v === 'string' ? Number(v) : v),
    z.number({ error: '界址点坐标应为数字||coordinate must be a number' }).refine(Number.isFinite),
  ),
});

const common = {
  serialNo: z.string().trim().max(50).optional(), // 编号 (印制序列号), 可以为空
  identifier: text('电子证照标识', 'identifier', 200),
  agencyName: text('登记机构', 'agency', 100),
  agencyCode: text('登记机构代码', 'agency code', 18),
  registeredOn: ymd('登记时间', 'registration date'),
  unitNo: z
    .string({ error: req('不动产单元号', 'unit number') })
    .transform(normaliseUnitNumber)
    .pipe(z.string().min(1, req('不动产单元号', 'unit number'))),
  location: text('坐落', 'location', 500),
  notes: optText(4000), // 附记, 可以为空
  infoQr: text('信息二维码', 'information QR', 4000),
  queryQr: text('查询二维码', 'query QR', 500),
};

export const PropertyCertificateFace = z.object({
  kind: z.literal('property-certificate'),
  ...common,
  certificateNo: text('不动产权证书号', 'certificate number', 100),
  holders: z.array(Holder, { error: req('权利人', 'holder') }).min(1, req('权利人', 'holder')),
  coOwnership: text('共有情况', 'co-ownership', 100),
  coOwners: z.array(CoOwner).optional(),
  separateCertificates: z
    .enum(['0', '1'], { error: '分别持证标识应为1（是）或0（否）||separate flag is 1 or 0' })
    .optional(),
  use: text('用途', 'use', 100),
  useCode: text('用途代码', 'use code', 10),
  area: positiveNumber('面积', 'area'),
  areaUnit: text('面积单位', 'area unit', 10),
  areaUnitCode: text('面积单位代码', 'area unit code', 2),
  figureNote: optText(500),
  figure: z.string().optional(), // 附图: an image (base64) supplied by the registration system
  boundaryPoints: z.array(Point).optional(),
  rightType: text('权利类型', 'right type', 100),
  rightTypeCode: text('权利类型代码', 'right type code', 5),
  rightNature: optText(100),
  rightNatureCode: z.string().trim().max(5).optional(),
  termFrom: ymd('使用期限起', 'term from').optional(),
  termTo: ymd('使用期限至', 'term to').optional(),
  remarks: optText(2000),
  otherRights: text('权利其他状况', 'other rights status', 4000),
  notesPage: optText(50),
  figurePage: optText(50),
});
export type PropertyCertificateFace = z.infer<typeof PropertyCertificateFace>;

export const RegistrationProofFace = z.object({
  kind: z.literal('registration-proof'),
  ...common,
  proofNo: text('不动产登记证明号', 'proof number', 100),
  holders: z.array(ProofParty, { error: req('权利人', 'holder') }).min(1, req('权利人', 'holder')),
  relatedCertificateNo: z.string().trim().max(100).optional(),
  obligors: z.array(ProofParty, { error: req('义务人', 'obligor') }).min(1, req('义务人', 'obligor')),
  matter: text('证明权利或事项', 'matter', 50),
  matterCode: text('权利或事项代码', 'matter code', 10),
  other: text('其他', 'other', 4000),
});
export type RegistrationProofFace = z.infer<typeof RegistrationProofFace>;

export const FaceData = z.discriminatedUnion('kind', [PropertyCertificateFace, RegistrationProofFace], {
  error: '证照类型应为不动产权证书或不动产登记证明||kind must be property-certificate or registration-proof',
});
export type FaceData = z.infer<typeof FaceData>;

/** Items bdcert fills in at issuance; the registration system's input leaves them out. */
export const GENERATED_FIELDS = ['certificateNo', 'proofNo', 'identifier', 'infoQr', 'queryQr'] as const;
export const PropertyCertificateInput = PropertyCertificateFace.omit({
  certificateNo: true,
  identifier: true,
  infoQr: true,
  queryQr: true,
});
export const RegistrationProofInput = RegistrationProofFace.omit({
  proofNo: true,
  identifier: true,
  infoQr: true,
  queryQr: true,
});
export const FaceInput = z.discriminatedUnion('kind', [PropertyCertificateInput, RegistrationProofInput], {
  error: '证照类型应为不动产权证书或不动产登记证明||kind must be property-certificate or registration-proof',
});
export type FaceInput = z.infer<typeof FaceInput>;

export interface ValidateOptions {
  /** 'complete' (default): every 附件2 item incl. number, identifier and QR; 'input': what the register supplies. */
  readonly stage?: 'complete' | 'input';
  readonly today?: Date;
  /** Code tables in force (the compiled ones plus the configured override); the compiled ones when absent. */
  readonly codeTables?: CodeTables;
}

/**
 * Validates face data and returns EVERY problem (schema, formats, code tables, cross-field rules), each with a stable
 * code, our field path and zh/en messages. Plausibility findings are warnings and do not make the record invalid.
 */
export function validateFace(input: unknown, opts: ValidateOptions = {}): Checked<FaceData> {
  const schema = opts.stage === 'input' ? FaceInput : FaceData;
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    // Report the schema problems and, where the shape allows, the rule problems of the fields that did parse.
    return { ok: false, problems: [...zodIssuesToProblems(parsed.error.issues), ...rulesOnRaw(input, opts)] };
  }
  const value = parsed.data as FaceData;
  const problems = rules(value, opts);
  return hasErrors(problems) ? { ok: false, problems } : { ok: true, value, problems };
}

/** Rule checks on a record that failed the schema: only the self-contained single-field rules, to list them all. */
function rulesOnRaw(input: unknown, opts: ValidateOptions): Problem[] {
  if (typeof input !== 'object' || input === null) return [];
  const r = input as Record<string, unknown>;
  const out: Problem[] = [];
  if (typeof r.agencyCode === 'string' && r.agencyCode) out.push(...checkUscc(r.agencyCode, 'agencyCode'));
  if (typeof r.unitNo === 'string' && r.unitNo)
    out.push(...checkUnitNumber(r.unitNo, 'unitNo').filter((p) => p.severity === 'error'));
  if (Array.isArray(r.holders)) {
    r.holders.forEach((h, i) => {
      const x = h as Record<string, unknown>;
      if (x?.idType === '111' && typeof x.idNumber === 'string' && x.idNumber)
        out.push(...checkIdNumber(x.idNumber, `holders[${i}].idNumber`, opts.today));
    });
  }
  return out;
}

function rules(v: FaceData, opts: ValidateOptions): Problem[] {
  const out: Problem[] = [];
  out.push(...checkUscc(v.agencyCode, 'agencyCode'));
  out.push(...checkUnitNumber(v.unitNo, 'unitNo'));
  if (opts.stage !== 'input') {
    const complete = v as FaceData & { identifier: string };
    out.push(...checkIdentifier(complete.identifier, 'identifier'));
  }
  const parties: [string, { idType: string; idNumber: string }[]][] = [['holders', v.holders]];
  if (v.kind === 'registration-proof') parties.push(['obligors', v.obligors]);
  for (const [name, list] of parties) {
    list.forEach((p, i) => {
      const field = `${name}[${i}]`;
      if (!codeName(ID_TYPES, p.idType)) {
        out.push(
          problem(
            'UNKNOWN_ID_TYPE',
            `证件种类代码 ${p.idType} 不在C0203 附录B.2中`,
            `ID type ${p.idType} is not in C0203 B.2`,
            `${field}.idType`,
          ),
        );
      } else if (p.idType === '111') {
        out.push(...checkIdNumber(p.idNumber, `${field}.idNumber`, opts.today));
      } else if (p.idType === '001') {
        out.push(...checkUscc(p.idNumber, `${field}.idNumber`));
      }
    });
  }
  if (v.kind === 'property-certificate') out.push(...propertyRules(v, opts));
  else out.push(...proofRules(v, opts));
  return out;
}

function propertyRules(v: PropertyCertificateFace, opts: ValidateOptions): Problem[] {
  const out: Problem[] = [];
  if (opts.stage !== 'input')
    out.push(...checkCertificateNumber(v.certificateNo, 'certificateNo', 'property-certificate'));
  if (!codeName(AREA_UNITS, v.areaUnitCode)) {
    out.push(
      problem(
        'UNKNOWN_AREA_UNIT',
        `面积单位代码 ${v.areaUnitCode} 不在C0203 附录B.5中`,
        `Area unit ${v.areaUnitCode} is not in C0203 B.5`,
        'areaUnitCode',
      ),
    );
  } else if (codeName(AREA_UNITS, v.areaUnitCode) !== v.areaUnit) {
    out.push(
      problem(
        'AREA_UNIT_MISMATCH',
        `面积单位「${v.areaUnit}」与代码 ${v.areaUnitCode} 不符`,
        `Area unit name does not match code ${v.areaUnitCode}`,
        'areaUnit',
      ),
    );
  }
  if (!codeName(HOUSE_USES, v.useCode) && !codeName(LAND_USES, v.useCode)) {
    out.push(
      problem(
        'UNKNOWN_USE_CODE',
        `用途代码 ${v.useCode} 不在房屋用途或土地用途代码表中`,
        `Use code ${v.useCode} is in neither use table`,
        'useCode',
      ),
    );
  }
  const rightName = codeName(RIGHT_TYPES, v.rightTypeCode);
  if (!rightName) {
    out.push(
      problem(
        'UNKNOWN_RIGHT_TYPE',
        `权利类型代码 ${v.rightTypeCode} 不在C0203 附录B.6中`,
        `Right type ${v.rightTypeCode} is not in C0203 B.6`,
        'rightTypeCode',
      ),
    );
  } else if (rightName.replace(/（构筑物）|\(构筑物\)/g, '') !== v.rightType.replace(/（构筑物）|\(构筑物\)/g, '')) {
    out.push(
      problem(
        'RIGHT_TYPE_MISMATCH',
        `权利类型「${v.rightType}」与代码 ${v.rightTypeCode}（${rightName}）不符`,
        `Right type name does not match code ${v.rightTypeCode}`,
        'rightType',
      ),
    );
  }
  if (v.rightNatureCode && !codeName(RIGHT_NATURES, v.rightNatureCode)) {
    out.push(
      problem(
        'UNKNOWN_RIGHT_NATURE',
        `权利性质代码 ${v.rightNatureCode} 不在C0203 附录B.7中`,
        `Right nature ${v.rightNatureCode} is not in C0203 B.7`,
        'rightNatureCode',
      ),
    );
  }
  if (v.termFrom && v.termTo && v.termFrom > v.termTo) {
    out.push(problem('TERM_ORDER', '使用期限起不能晚于使用期限至', 'Term start must not be after term end', 'termTo'));
  }
  // Plausibility of 权利类型 against the unit number (standards.md §3): a warning, never an error.
  const plausible = plausibleRightTypes(v.unitNo);
  if (plausible && !plausible.includes(v.rightTypeCode)) {
    out.push(
      problem(
        'RIGHT_TYPE_UNIT_IMPLAUSIBLE',
        `权利类型代码 ${v.rightTypeCode} 与不动产单元号的特征码不太相符（通常为 ${plausible.join('/')}）`,
        `Right type ${v.rightTypeCode} is unusual for this unit number (usually ${plausible.join('/')})`,
        'rightTypeCode',
        'warning',
      ),
    );
  }
  out.push(...coOwnershipRules(v));
  return out;
}

/** 共有情况: 单独所有 | 共同共有 | 按份共有+比例; 按份共有 shares add up to 100 % (附件2 共有比例 0–100 %). */
function coOwnershipRules(v: PropertyCertificateFace): Problem[] {
  const out: Problem[] = [];
  const m = /^(单独所有|共同共有|按份共有|其他共有)\s*(?:([\d.]+)\s*[%％])?$/.exec(v.coOwnership.trim());
  if (!m) {
    return [
      problem(
        'CO_OWNERSHIP_FORM',
        '共有情况应为“单独所有”“共同共有”或“按份共有+比例”',
        'Co-ownership: 单独所有, 共同共有, or 按份共有 with a share',
        'coOwnership',
      ),
    ];
  }
  const mode = m[1]!;
  const coOwners = v.coOwners ?? [];
  if (mode === '单独所有' && (coOwners.length > 0 || v.holders.length > 1)) {
    out.push(problem('SOLE_WITH_CO_OWNERS', '单独所有时不应有共有人', 'Sole ownership has no co-owners', 'coOwners'));
  }
  if (mode === '按份共有') {
    const own = m[2] === undefined ? undefined : Number(m[2]);
    if (own === undefined) {
      out.push(
        problem(
          'SHARE_MISSING',
          '按份共有须注明权利人的份额，如“按份共有 50%”',
          'Shared ownership states the holder’s share, e.g. 按份共有 50%',
          'coOwnership',
        ),
      );
    } else {
      const missing = coOwners.findIndex((c) => c.share === undefined);
      if (missing >= 0) {
        out.push(
          problem(
            'SHARE_MISSING',
            '按份共有时每个共有人须有共有比例',
            'Each co-owner needs a share',
            `coOwners[${missing}].share`,
          ),
        );
      } else {
        const total = own + coOwners.reduce((s, c) => s + (c.share ?? 0), 0);
        if (Math.abs(total - 100) > 1e-6) {
          out.push(
            problem(
              'SHARES_NOT_100',
              `按份共有各方比例合计应为100%，实际为${total}%`,
              `Shares must add up to 100 %, got ${total} %`,
              'coOwners',
            ),
          );
        }
      }
    }
  }
  coOwners.forEach((c, i) => {
    if (c.idNumber && /^\d{17}[\dXx]$/.test(c.idNumber)) {
      // Co-owner ID type is not a separate 附件2 item; an 18-character number is checked as a 公民身份号码.
      for (const p of checkIdNumber(c.idNumber, `coOwners[${i}].idNumber`)) out.push(p);
    }
  });
  return out;
}

function proofRules(v: RegistrationProofFace, opts: ValidateOptions): Problem[] {
  const out: Problem[] = [];
  if (opts.stage !== 'input') out.push(...checkCertificateNumber(v.proofNo, 'proofNo', 'registration-proof'));
  if (v.relatedCertificateNo)
    out.push(...checkCertificateNumber(v.relatedCertificateNo, 'relatedCertificateNo', 'property-certificate'));
  const names = proofMatterNames(opts.codeTables);
  if (!names.includes(v.matter)) {
    out.push(
      problem('UNKNOWN_MATTER', `证明权利或事项「${v.matter}」不是${names.join('、')}之一`, 'Unknown matter', 'matter'),
    );
  }
  const known = codeName(tableOf(opts.codeTables, 'proofMatter'), v.matterCode);
  if (known && known !== v.matter) {
    out.push(
      problem(
        'MATTER_CODE_MISMATCH',
        `权利或事项代码 ${v.matterCode} 对应「${known}」`,
        `Matter code ${v.matterCode} means ${known}`,
        'matterCode',
      ),
    );
  }
  if (!known) {
    // C0204 B.3 was not found (standards.md §2.7): an unknown code is kept but flagged.
    out.push(
      problem(
        'MATTER_CODE_UNVERIFIED',
        `权利或事项代码 ${v.matterCode} 无法对照C0204 附录B.3核实`,
        `Matter code ${v.matterCode} cannot be checked against C0204 B.3`,
        'matterCode',
        'warning',
      ),
    );
  }
  return out;
}

export function kindLabel(k: CertificateKind): string {
  return KIND_NAMES[k].zh;
}
