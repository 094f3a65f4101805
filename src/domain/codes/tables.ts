/**
 * Code tables (standards.md §2) as versioned data. Each table names its source and how sure we are: 'verified'
 * (two independent sources agree), 'inferred' (matches the Henan sample values), 'configuration' (the standard text
 * was not found; seeded with what is known and meant to be extended by the province — never invented codes).
 */
export type Confidence = 'verified' | 'inferred' | 'configuration';

export interface CodeEntry {
  readonly code: string;
  readonly name: string;
}

export interface CodeTable {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly confidence: Confidence;
  readonly entries: readonly CodeEntry[];
}

const t = (
  id: string,
  name: string,
  version: string,
  source: string,
  confidence: Confidence,
  rows: readonly (readonly [string, string])[],
): CodeTable => ({ id, name, version, source, confidence, entries: rows.map(([code, n]) => ({ code, name: n })) });

/** C0203/C0204 B.2 证件种类代码 = 持证主体代码类型代码 (standards.md §2.1). */
export const ID_TYPES = t(
  'idType',
  '证件种类（持证主体代码类型）',
  '2020',
  'C0203/C0204 附录B.2; standards.md §2.1',
  'verified',
  [
    ['001', '统一社会信用代码'],
    ['099', '其他法人或其他组织有效证件代码'],
    ['111', '公民身份号码'],
    ['114', '中国人民解放军军官证编号'],
    ['115', '中国人民武装警察部队警官证编号'],
    ['118', '中国人民解放军士兵证编号'],
    ['119', '中国人民武装警察部队士兵证编号'],
    ['120', '中国人民解放军文职人员证编号'],
    ['122', '中国人民武装警察部队文职人员证编号'],
    ['411', '外交护照护照号'],
    ['412', '公务护照护照号'],
    ['413', '公务普通护照护照号'],
    ['414', '普通护照护照号'],
    ['511', '台湾居民来往大陆通行证号码'],
    ['516', '港澳居民来往内地通行证号码'],
    ['999', '其他自然人有效证件代码'],
  ],
);

/**
 * C0203 B.3 权利人/实际使用人类型代码: the C0203 table was not found; the Henan sample uses 10. Seeded with the
 * TD/T 1066 QLRLX codes and the observed 10 (standards.md §2.2) — configuration.
 */
export const HOLDER_TYPES = t(
  'holderType',
  '权利人类型',
  'seed-2026',
  'TD/T 1066 QLRLX; Henan 附件2 sample (10); standards.md §2.2',
  'configuration',
  [
    ['1', '个人'],
    ['2', '企业'],
    ['3', '事业单位'],
    ['4', '国家机关'],
    ['10', '个人（C0203样例值）'],
    ['99', '其它'],
  ],
);

/** C0203 B.4 房屋用途代码 = GB/T 17986.1 (standards.md §2.3). */
export const HOUSE_USES = t(
  'houseUse',
  '房屋用途',
  'GB/T 17986.1',
  'GB/T 17986.1 / TD/T 1066; standards.md §2.3',
  'verified',
  [
    ['10', '住宅'],
    ['11', '成套住宅'],
    ['111', '别墅'],
    ['112', '高档公寓'],
    ['12', '非成套住宅'],
    ['13', '集体宿舍'],
    ['20', '工业、交通、仓储'],
    ['21', '工业'],
    ['22', '公共设施'],
    ['23', '铁路'],
    ['24', '民航'],
    ['25', '航运'],
    ['26', '公共运输'],
    ['27', '仓储'],
    ['30', '商业、金融、信息'],
    ['31', '商业服务'],
    ['32', '经营'],
    ['33', '旅游'],
    ['34', '金融保险'],
    ['35', '电讯信息'],
    ['40', '教育、医疗、卫生、科研'],
    ['41', '教育'],
    ['42', '医疗卫生'],
    ['43', '科研'],
    ['50', '文化、娱乐、体育'],
    ['51', '文化'],
    ['52', '新闻'],
    ['53', '娱乐'],
    ['54', '园林绿化'],
    ['55', '体育'],
    ['60', '办公'],
    ['70', '军事'],
    ['80', '其它'],
    ['81', '涉外'],
    ['82', '宗教'],
    ['83', '监狱'],
  ],
);

/** 土地用途 GB/T 21010-2007 二级类 (standards.md §2.3). Land-only certificates. */
export const LAND_USES = t('landUse', '土地用途', 'GB/T 21010-2007', 'GB/T 21010-2007; standards.md §2.3', 'verified', [
  ['01', '耕地'],
  ['011', '水田'],
  ['012', '水浇地'],
  ['013', '旱地'],
  ['02', '园地'],
  ['021', '果园'],
  ['022', '茶园'],
  ['023', '其他园地'],
  ['03', '林地'],
  ['031', '有林地'],
  ['032', '灌木林地'],
  ['033', '其他林地'],
  ['04', '草地'],
  ['041', '天然牧草地'],
  ['042', '人工牧草地'],
  ['043', '其他草地'],
  ['05', '商服用地'],
  ['051', '批发零售用地'],
  ['052', '住宿餐饮用地'],
  ['053', '商务金融用地'],
  ['054', '其他商服用地'],
  ['06', '工矿仓储用地'],
  ['061', '工业用地'],
  ['062', '采矿用地'],
  ['063', '仓储用地'],
  ['07', '住宅用地'],
  ['071', '城镇住宅用地'],
  ['072', '农村宅基地'],
  ['08', '公共管理与公共服务用地'],
  ['081', '机关团体用地'],
  ['082', '新闻出版用地'],
  ['083', '科教用地'],
  ['084', '医卫慈善用地'],
  ['085', '文体娱乐用地'],
  ['086', '公共设施用地'],
  ['087', '公园与绿地'],
  ['088', '风景名胜设施用地'],
  ['09', '特殊用地'],
  ['091', '军事设施用地'],
  ['092', '使领馆用地'],
  ['093', '监教场所用地'],
  ['094', '宗教用地'],
  ['095', '殡葬用地'],
  ['10', '交通运输用地'],
  ['101', '铁路用地'],
  ['102', '公路用地'],
  ['103', '街巷用地'],
  ['104', '农村道路'],
  ['105', '机场用地'],
  ['106', '港口码头用地'],
  ['107', '管道运输用地'],
  ['11', '水域及水利设施用地'],
  ['111', '河流水面'],
  ['112', '湖泊水面'],
  ['113', '水库水面'],
  ['114', '坑塘水面'],
  ['115', '沿海滩涂'],
  ['116', '内陆滩涂'],
  ['117', '沟渠'],
  ['118', '水工建筑用地'],
  ['119', '冰川及永久积雪'],
  ['12', '其他土地'],
  ['121', '空闲地'],
  ['122', '设施农用地'],
  ['123', '田坎'],
  ['124', '盐碱地'],
  ['125', '沼泽地'],
  ['126', '沙地'],
  ['127', '裸地'],
]);

/** C0203 B.5 面积单位代码 (standards.md §2.4). */
export const AREA_UNITS = t('areaUnit', '面积单位', '2020', 'C0203 B.5; standards.md §2.4', 'verified', [
  ['1', '平方米'],
  ['2', '亩'],
  ['3', '公顷'],
]);

/** C0203 B.6 权利类型代码 = TD/T 1066 QLLX 1–22; codes ≥ 23 differ between sources and are configuration. */
export const RIGHT_TYPES = t('rightType', '权利类型', 'TD/T 1066', 'TD/T 1066 QLLX; standards.md §2.5', 'verified', [
  ['1', '集体土地所有权'],
  ['2', '国家土地所有权'],
  ['3', '国有建设用地使用权'],
  ['4', '国有建设用地使用权/房屋（构筑物）所有权'],
  ['5', '宅基地使用权'],
  ['6', '宅基地使用权/房屋（构筑物）所有权'],
  ['7', '集体建设用地使用权'],
  ['8', '集体建设用地使用权/房屋（构筑物）所有权'],
  ['9', '土地承包经营权'],
  ['10', '土地承包经营权/森林、林木所有权'],
  ['11', '林地使用权'],
  ['12', '林地使用权/森林、林木使用权'],
  ['13', '草原使用权'],
  ['14', '水域滩涂养殖权'],
  ['15', '海域使用权'],
  ['16', '海域使用权/构（建）筑物所有权'],
  ['17', '无居民海岛使用权'],
  ['18', '无居民海岛使用权/构（建）筑物所有权'],
  ['19', '地役权'],
  ['20', '取水权'],
  ['21', '探矿权'],
  ['22', '采矿权'],
  // Not in TD/T 1066 1–22; kept so registrations that produce a 证明 can be keyed (Sichuan Art. 5). Local codes.
  ['23', '抵押权'],
  ['99', '其它权利'],
]);

/** C0203 B.7 权利性质代码 = TD/T 1066 QLXZ (standards.md §2.6). */
export const RIGHT_NATURES = t(
  'rightNature',
  '权利性质',
  'TD/T 1066',
  'TD/T 1066 QLXZ; standards.md §2.6',
  'verified',
  [
    ['100', '国有土地'],
    ['101', '划拨'],
    ['102', '出让'],
    ['103', '作价出资（入股）'],
    ['104', '国有土地租赁'],
    ['105', '授权经营'],
    ['106', '家庭承包'],
    ['107', '其它方式承包'],
    ['200', '集体土地'],
    ['201', '家庭承包'],
    ['202', '其它方式承包'],
    ['203', '批准拨用'],
    ['204', '入股'],
    ['205', '联营'],
  ],
);

/**
 * C0204 B.3 证明权利或事项代码: NOT FOUND (standards.md §2.7). Only 11 抵押权 is known (Henan sample); the other
 * matters a 证明 records (Sichuan Art. 5) carry no code until the province supplies C0204 附录 B.
 */
export const PROOF_MATTERS = t(
  'proofMatter',
  '证明权利或事项',
  'seed-2026',
  'Henan 附件2 sample; Sichuan Art. 5; standards.md §2.7',
  'configuration',
  [['11', '抵押权']],
);

/** 证明权利或事项 names without a known code (Sichuan Art. 5). */
export const PROOF_MATTER_NAMES = ['抵押权', '地役权', '预告登记', '异议登记', '居住权'] as const;

/** TD/T 1066 登记类型 DJLX (standards.md §2.8). */
export const REGISTRATION_TYPES = t(
  'registrationType',
  '登记类型',
  'TD/T 1066',
  'TD/T 1066 DJLX; standards.md §2.8',
  'verified',
  [
    ['100', '首次登记'],
    ['200', '转移登记'],
    ['300', '变更登记'],
    ['400', '注销登记'],
    ['500', '更正登记'],
    ['600', '异议登记'],
    ['700', '预告登记'],
    ['800', '查封登记'],
    ['900', '其他登记'],
  ],
);

/** TD/T 1066 共有方式 GYFS. */
export const CO_OWNERSHIP = t('coOwnership', '共有方式', 'TD/T 1066', 'TD/T 1066 GYFS; standards.md §2.8', 'verified', [
  ['0', '单独所有'],
  ['1', '共同共有'],
  ['2', '按份共有'],
  ['3', '其他共有'],
]);

/** 查封类型 CFLX (SuperMap adds 5 续封). */
export const SEIZURE_TYPES = t(
  'seizureType',
  '查封类型',
  'TD/T 1066',
  'TD/T 1066 CFLX (+SuperMap 5); standards.md §2.8',
  'verified',
  [
    ['1', '查封'],
    ['2', '轮候查封'],
    ['3', '预查封'],
    ['4', '轮候预查封'],
    ['5', '续封'],
  ],
);

export const CODE_TABLES: readonly CodeTable[] = [
  ID_TYPES,
  HOLDER_TYPES,
  HOUSE_USES,
  LAND_USES,
  AREA_UNITS,
  RIGHT_TYPES,
  RIGHT_NATURES,
  PROOF_MATTERS,
  REGISTRATION_TYPES,
  CO_OWNERSHIP,
  SEIZURE_TYPES,
];

export function codeName(table: CodeTable, code: string): string | undefined {
  return table.entries.find((e) => e.code === code)?.name;
}

export function codeOf(table: CodeTable, name: string): string | undefined {
  return table.entries.find((e) => e.name === name)?.code;
}

export function hasCode(table: CodeTable, code: string): boolean {
  return table.entries.some((e) => e.code === code);
}
