import { type Problem, problem } from './problem.js';
import { isDivisionCode } from './validators/division.js';
import { checkUscc } from './validators/uscc.js';

/** 登记机构 (Henan 附件1 登记机构名称/代码/行政区划代码/级别; standards.md §4 省份简称 and 市县全称 in numbers). */
export type AgencyLevel = 'national' | 'province' | 'city' | 'county';

export const AGENCY_LEVEL_NAMES: Record<AgencyLevel, string> = {
  national: '国家级',
  province: '省级',
  city: '市级',
  county: '县级',
};

export interface Agency {
  readonly name: string;
  readonly uscc: string;
  readonly regionCode: string;
  readonly level: AgencyLevel;
  /** 省份简称, one character, e.g. 豫. */
  readonly provinceAbbr: string;
  /** 市县全称, e.g. 潢川县 — printed in certificate numbers. */
  readonly cityCountyName: string;
  /** The registered name of the physical seal, e.g. 潢川县自然资源局不动产登记专用章 (Huangchuan 3.1). */
  readonly sealName: string;
}

export const PROVINCE_ABBRS: Readonly<Record<string, string>> = {
  '11': '京',
  '12': '津',
  '13': '冀',
  '14': '晋',
  '15': '蒙',
  '21': '辽',
  '22': '吉',
  '23': '黑',
  '31': '沪',
  '32': '苏',
  '33': '浙',
  '34': '皖',
  '35': '闽',
  '36': '赣',
  '37': '鲁',
  '41': '豫',
  '42': '鄂',
  '43': '湘',
  '44': '粤',
  '45': '桂',
  '46': '琼',
  '50': '渝',
  '51': '川',
  '52': '贵',
  '53': '云',
  '54': '藏',
  '61': '陕',
  '62': '甘',
  '63': '青',
  '64': '宁',
  '65': '新',
};

export function checkAgency(a: Agency): Problem[] {
  const out: Problem[] = [...checkUscc(a.uscc, 'uscc')];
  if (!a.name.trim()) out.push(problem('AGENCY_NAME', '登记机构名称必填', 'Agency name is required', 'name'));
  if (!isDivisionCode(a.regionCode)) {
    out.push(
      problem('AGENCY_REGION', '行政区划代码不在GB/T 2260中', 'Region code is not a GB/T 2260 code', 'regionCode'),
    );
  }
  const abbr = PROVINCE_ABBRS[a.regionCode.slice(0, 2)];
  if (abbr && abbr !== a.provinceAbbr) {
    out.push(
      problem(
        'AGENCY_PROVINCE_ABBR',
        `省份简称应为「${abbr}」`,
        `Province abbreviation should be ${abbr}`,
        'provinceAbbr',
      ),
    );
  }
  if (!/^[\u4e00-\u9fa5]{2,20}$/.test(a.cityCountyName)) {
    out.push(
      problem(
        'AGENCY_CITY_COUNTY',
        '市县全称应为2–20个汉字',
        'City/county name: 2–20 Chinese characters',
        'cityCountyName',
      ),
    );
  }
  if (!a.sealName.endsWith('不动产登记专用章')) {
    out.push(
      problem(
        'AGENCY_SEAL_NAME',
        '印章名称应以「不动产登记专用章」结尾',
        'The seal name ends with 不动产登记专用章',
        'sealName',
      ),
    );
  }
  return out;
}
