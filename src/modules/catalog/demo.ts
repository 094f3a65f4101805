import { randomUUID } from 'node:crypto';
import type { DemoContext, DemoStep } from '../demo/seed.js';
import * as repo from './repository.js';
import type { CatalogDeps } from './service.js';
import { createSeal } from './service.js';

/**
 * Demo agencies (登记机构) and their seals. The 统一社会信用代码 are synthetic (valid check characters, organisation
 * codes in an unused MB1A range) — never a real agency's code. Names and region codes are real places so the demo
 * certificates read like real ones (潢川: the Huangchuan rules; 南阳: the Nanyang measures).
 */
export const DEMO_AGENCIES = [
  {
    name: '河南省自然资源厅',
    uscc: '11410000MB1A0001XT',
    region_code: '410000',
    level: 'province' as const,
    province_abbr: '豫',
    city_county_name: '河南省',
    seal_name: '河南省自然资源厅不动产登记专用章',
    es_id: '4100000000001',
  },
  {
    name: '潢川县自然资源局',
    uscc: '11411526MB1A00028N',
    region_code: '411526',
    level: 'county' as const,
    province_abbr: '豫',
    city_county_name: '潢川县',
    seal_name: '潢川县自然资源局不动产登记专用章', // Huangchuan 3.1
    es_id: '4115260000001',
  },
  {
    name: '南阳市自然资源和规划局',
    uscc: '11411300MB1A00036H',
    region_code: '411300',
    level: 'city' as const,
    province_abbr: '豫',
    city_county_name: '南阳市',
    seal_name: '南阳市自然资源和规划局不动产登记专用章',
    es_id: '4113000000001',
  },
];

export function catalogDemoStep(deps: () => CatalogDeps): DemoStep {
  return {
    name: 'catalog: demo agencies and seals',
    async run(ctx: DemoContext) {
      const d = deps();
      const db = ctx.store.db;
      for (const a of DEMO_AGENCIES) {
        let agency = await repo.findAgencyByUscc(db, a.uscc);
        if (!agency) {
          const { es_id: _ignored, ...row } = a;
          await repo.insertAgency(db, {
            id: randomUUID(),
            ...row,
            sealing_mode: 'scheduled',
            sealing_times: ['12:00', '18:00'],
          });
          agency = (await repo.findAgencyByUscc(db, a.uscc))!;
        }
        const seals = await repo.listSeals(db, agency.id);
        if (seals.length === 0) {
          const now = d.ctx.now();
          const validTo = new Date(now);
          validTo.setUTCFullYear(validTo.getUTCFullYear() + 3);
          await createSeal(d, {
            agencyId: agency.id,
            esId: a.es_id,
            name: a.seal_name,
            validFrom: new Date(now.getTime() - 60_000),
            validTo,
            actor: { kind: 'system', id: 'demo-seed' },
          });
        }
      }
      ctx.notes.push(
        `演示登记机构 / demo agencies: ${DEMO_AGENCIES.map((a) => `${a.name}(${a.region_code})`).join('、')}；印章由开发测试CA签发（非生产）/ seals from the development CA (not for production)`,
      );
    },
  };
}
