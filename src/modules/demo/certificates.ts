import type { FaceInput } from '../../domain/face-data.js';
import type { AuditActor } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { runBatch, startBatch } from '../issuance/sealing.js';
import { type IssuanceDeps, recordEntry } from '../issuance/service.js';
import type { RegisterEntryInput } from '../register/entry-schema.js';
import * as repo from './repository.js';

/**
 * Demo certificates (issue 2 §6: the first demo start fills the console, the holder portal and the verification
 * page): four register entries at 潢川县自然资源局, recorded through the same recordEntry as the API and sealed at
 * once — for the demo holder 李四 a 证书 in force and one cancelled by a 转移登记 (Huangchuan 4.2, with its 已注销
 * rendition), plus the 抵押权 证明 of 李四's flat for the demo bank. Synthetic people and codes only (valid check
 * characters, never a real person's). Dated 2025 so their numbers never meet those the demo user records now.
 * Created on the first start of an empty demo database of the all-in-one node (BDCERT_ROLE=all) only; later starts
 * print the same sign-in and link.
 */
export const DEMO_HOLDER = { name: '李四', idType: '111', idNumber: '411526199003150039', holderType: '1' } as const;
const BUYER = { name: '王芳', idType: '111', idNumber: '41152619880620004X', holderType: '1' } as const;
const BANK = { name: '演示银行股份有限公司潢川支行（演示）', idType: '001', idNumber: '91411526MA1D000196' } as const;
const AGENCY_USCC = '11411526MB1A00028N';
const META_KEY = 'demo.certificates';

const unit = (n: number) => `411526001003GB${String(n).padStart(5, '0')}F00010001`;

function flat(n: number, holder: typeof DEMO_HOLDER | typeof BUYER, registeredOn: string, where: string): FaceInput {
  return {
    kind: 'property-certificate',
    agencyName: '潢川县自然资源局',
    agencyCode: AGENCY_USCC,
    registeredOn,
    holders: [{ ...holder }],
    coOwnership: '单独所有',
    unitNo: unit(n),
    location: where,
    use: '住宅',
    useCode: '10',
    area: 89.37 + n,
    areaUnit: '平方米',
    areaUnitCode: '1',
    rightType: '国有建设用地使用权/房屋（构筑物）所有权',
    rightTypeCode: '4',
    rightNature: '出让',
    rightNatureCode: '102',
    termFrom: '20080101',
    termTo: '20771231',
    otherRights: '房屋结构：钢筋混凝土结构；房屋总层数：11层；所在层：5层（演示数据）',
  };
}

export interface DemoCertificatesSaved {
  readonly holder: { name: string; idNumber: string };
  /** Verification token of the 证书 in force (its 查询二维码 leads to /v/<token>). */
  readonly token: string;
  readonly cancelledToken: string;
  readonly count: number;
}

/**
 * Creates the demo certificates when `create` (first start, empty register) and returns the banner lines; `{url}` in
 * a line stands for the address the server listens on.
 */
export async function demoCertificates(deps: IssuanceDeps, o: { readonly create: boolean }): Promise<string[]> {
  const { ctx } = deps;
  // The all-in-one demo only: city and province nodes of a federation demo (and its tests) start from their own data.
  if (ctx.config.mode !== 'demo' || ctx.config.role !== 'all') return [];
  const db = ctx.store.db;
  let saved = await repo.readMeta<DemoCertificatesSaved>(db, META_KEY);
  if (!saved && o.create && !(await repo.registerHasEntries(db))) saved = await create(deps);
  if (!saved) return [];
  return [
    `演示证照 / demo certificates: ${saved.count} 张（证书、已注销证书、抵押权证明）/ issued, cancelled by a transfer, a mortgage proof`,
    `  权利人门户 holder portal: {url}/holder — 姓名 ${saved.holder.name}，身份证号 ${saved.holder.idNumber}，任意手机号，验证码见短信模拟器 / any phone, code from the SMS simulator`,
    `  扫码核验示例 try a QR verification: {url}/v/${saved.token}   （已注销的 / cancelled: {url}/v/${saved.cancelledToken}）`,
  ];
}

async function create(deps: IssuanceDeps): Promise<DemoCertificatesSaved> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const agency = await catalogRepo.findAgencyByUscc(db, AGENCY_USCC);
  if (!agency) throw new Error('demo certificates: the demo agency 潢川县自然资源局 is missing');
  const actor: AuditActor = { kind: 'system', id: 'demo-seed' };
  const road = '潢川县弦山街道演示路';
  const entries: (RegisterEntryInput & { agencyId: string })[] = [
    {
      businessNo: 'DEMO-2025-0001',
      agencyId: agency.id,
      registrationType: '100',
      recordedAt: '2025-03-12T10:00:00+08:00',
      unitNo: unit(1),
      location: `${road}1号1幢501室`,
      face: flat(1, DEMO_HOLDER, '20250312', `${road}1号1幢501室`),
    },
    {
      businessNo: 'DEMO-2025-0002',
      agencyId: agency.id,
      registrationType: '100',
      recordedAt: '2025-05-20T10:00:00+08:00',
      unitNo: unit(2),
      location: `${road}2号3幢502室`,
      face: flat(2, DEMO_HOLDER, '20250520', `${road}2号3幢502室`),
    },
  ];
  const first = [];
  for (const e of entries) first.push(await recordEntry(deps, e, actor));
  // Sealed before the transfer, so the transfer cancels an issued certificate (not a pending one, which rolls back).
  const b1 = await startBatch(deps, { agencyId: agency.id, trigger: 'clerk', actor });
  await runBatch(deps, b1.id);
  const certificateNo = first[0]!.outcome.certificateNo!;
  const later: (RegisterEntryInput & { agencyId: string })[] = [
    {
      businessNo: 'DEMO-2025-0003',
      agencyId: agency.id,
      registrationType: '200',
      recordedAt: '2025-10-15T10:00:00+08:00',
      unitNo: unit(2),
      location: `${road}2号3幢502室`,
      face: flat(2, BUYER, '20251015', `${road}2号3幢502室`),
      paperRecall: { method: 'returned' },
    },
    {
      businessNo: 'DEMO-2025-0004',
      agencyId: agency.id,
      registrationType: '100',
      recordedAt: '2025-06-01T10:00:00+08:00',
      unitNo: unit(1),
      location: `${road}1号1幢501室`,
      face: {
        kind: 'registration-proof',
        agencyName: '潢川县自然资源局',
        agencyCode: AGENCY_USCC,
        registeredOn: '20250601',
        holders: [{ ...BANK }],
        relatedCertificateNo: certificateNo,
        unitNo: unit(1),
        obligors: [{ name: DEMO_HOLDER.name, idType: '111', idNumber: DEMO_HOLDER.idNumber }],
        location: `${road}1号1幢501室`,
        matter: '抵押权',
        matterCode: '11',
        other:
          '抵押方式：一般抵押；被担保主债权数额：30万元；债务履行期限：2025年6月1日起至2045年5月31日止（演示数据）',
      },
    },
  ];
  for (const e of later) await recordEntry(deps, e, actor);
  const b2 = await startBatch(deps, { agencyId: agency.id, trigger: 'clerk', actor });
  await runBatch(deps, b2.id);
  const token = await repo.tokenOf(db, first[0]!.outcome.certificateId!);
  const cancelledToken = await repo.tokenOf(db, first[1]!.outcome.certificateId!);
  const saved: DemoCertificatesSaved = {
    holder: { name: DEMO_HOLDER.name, idNumber: DEMO_HOLDER.idNumber },
    token,
    cancelledToken,
    count: 4,
  };
  await repo.writeMeta(db, META_KEY, saved);
  return saved;
}
