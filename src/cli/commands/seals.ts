import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkSealPng } from '../../documents/seal-image.js';
import * as repo from '../../modules/catalog/repository.js';
import { changeSealStatus, createSeal, importSeal, replaceSeal } from '../../modules/catalog/service.js';
import type { SealStatus } from '../../store/schema.js';
import { CLI_ACTOR, printJsonOr, resolveAgency, withCatalog } from '../catalog-cli.js';

/**
 * `bdcert seals list|import|make|replace|status` — the seal registry from the command line (issue 4 §6):
 * - `import <file.esl>`: a ready SESeal from the provincial seal platform (Sichuan Art. 3), checked against the trust
 *   store, the agency's registered seal name and the physical seal's code (Huangchuan 3.1), and an imported signer
 *   credential it must list;
 * - `make`: a seal made here by an imported seal-maker credential (or, in demo, the development CA);
 * - `replace`: a new code after the physical seal was re-made; `status`: 停用 suspend, 恢复 reactivate, 注销 revoke.
 */
const STATUS: Record<string, SealStatus> = {
  active: 'active',
  suspended: 'suspended',
  revoked: 'revoked',
  有效: 'active',
  停用: 'suspended',
  注销: 'revoked',
};
const STATUS_ZH: Record<SealStatus, string> = { active: '有效', suspended: '停用', revoked: '注销' };

const line = (s: repo.SealRow) =>
  `${s.id}  ${s.es_id}  ${s.name}  ${STATUS_ZH[s.status]} ${s.status}  ${s.origin === 'imported' ? '导入 imported' : '本地 local'}  ${s.valid_from.toISOString().slice(0, 10)}–${s.valid_to.toISOString().slice(0, 10)}${s.filing_no ? `  备案 ${s.filing_no}` : ''}${s.replaces_id ? `  替换 replaces ${s.replaces_id}` : ''}`;
const rowJson = ({ seal_der: _s, signer_cert_der: _c, picture_png: _p, ...r }: repo.SealRow) => r;

function date(s: string, what: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`${what}: 日期格式错误 / not a date: ${s}`);
  return d;
}

function png(file: string | undefined): { picturePng?: Uint8Array } {
  if (!file) return {};
  const bytes = new Uint8Array(readFileSync(file));
  checkSealPng(bytes);
  return { picturePng: bytes };
}

export function register(program: Command): void {
  const seals = program.command('seals').description('电子印章登记 / the seal registry');
  seals
    .command('list')
    .description('列出机构的印章 / list an agency’s seals')
    .requiredOption('--agency <id|uscc|region>', '登记机构 / agency')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (o: { agency: string; json?: boolean }) => {
      await withCatalog(async (deps, store) => {
        const rows = await repo.listSeals(deps.ctx.store.db, (await resolveAgency(store, o.agency)).id);
        printJsonOr(o.json, rows.map(rowJson), () => rows.map(line));
      });
    });
  seals
    .command('import')
    .description('导入省级电子印章平台制作的印章（.esl）/ import a seal made by the provincial seal platform')
    .argument('<file>', '印章文件（SESeal，DER）/ seal file (SESeal, DER)')
    .requiredOption('--agency <id|uscc|region>', '登记机构 / agency')
    .requiredOption('--code <esId>', '实物印章编码（须与印章文件一致）/ the physical seal’s number (must match)')
    .option('--signer <credentialId>', '印章授权的签章人证书凭证 / the signer credential the seal lists')
    .option('--replaces <sealId>', '续期（同编码）或更换（新编码）的原印章 / the seal this renews or replaces')
    .option('--filing-no <no>', '国家印章备案号（已由平台备案时）/ national filing number, if filed already')
    .option('--reason <text>', '原因 / reason')
    .option('--json', '以JSON输出 / print JSON')
    .action(
      async (
        file: string,
        o: {
          agency: string;
          code: string;
          signer?: string;
          replaces?: string;
          filingNo?: string;
          reason?: string;
          json?: boolean;
        },
      ) => {
        const sealDer = new Uint8Array(readFileSync(file));
        await withCatalog(async (deps, store) => {
          const agency = await resolveAgency(store, o.agency);
          const r = await importSeal(deps, {
            agencyId: agency.id,
            sealDer,
            esId: o.code,
            ...(o.signer ? { signerCredentialId: o.signer } : {}),
            ...(o.replaces ? { replacesId: o.replaces } : {}),
            ...(o.filingNo ? { filingNo: o.filingNo } : {}),
            ...(o.reason ? { reason: o.reason } : {}),
            actor: CLI_ACTOR,
          });
          printJsonOr(o.json, { seal: rowJson(r.seal), warnings: r.warnings }, () => [
            `已登记 / registered: ${line(r.seal)}`,
            ...r.warnings.map((w) => `警告 warning: ${w}`),
          ]);
        });
      },
    );
  seals
    .command('make')
    .description('用已导入的制章者证书在本地制章 / make a seal here with an imported seal-maker certificate')
    .requiredOption('--agency <id|uscc|region>', '登记机构 / agency')
    .requiredOption('--code <esId>', '印章编码 = 实物印章编号 / seal code = the physical seal’s number')
    .requiredOption('--valid-to <date>', '有效期止（ISO 8601）/ valid to')
    .option('--valid-from <date>', '有效期起，默认现在 / valid from (default now)')
    .option('--image <png>', '扫描印章图片（带透明通道PNG），默认自动生成 / scanned seal PNG (default: generated)')
    .option('--signer <credentialId>', '签章人证书凭证 / signer credential')
    .option('--maker <credentialId>', '制章者证书凭证 / seal-maker credential')
    .option('--json', '以JSON输出 / print JSON')
    .action(
      async (o: {
        agency: string;
        code: string;
        validTo: string;
        validFrom?: string;
        image?: string;
        signer?: string;
        maker?: string;
        json?: boolean;
      }) => {
        const picture = png(o.image);
        await withCatalog(async (deps, store) => {
          const agency = await resolveAgency(store, o.agency);
          const s = await createSeal(deps, {
            agencyId: agency.id,
            esId: o.code,
            name: agency.seal_name,
            validFrom: o.validFrom ? date(o.validFrom, '--valid-from') : deps.ctx.now(),
            validTo: date(o.validTo, '--valid-to'),
            ...picture,
            ...(o.signer ? { signerCredentialId: o.signer } : {}),
            ...(o.maker ? { makerCredentialId: o.maker } : {}),
            actor: CLI_ACTOR,
          });
          printJsonOr(o.json, rowJson(s), () => [`已制作并备案 / made and filed: ${line(s)}`]);
        });
      },
    );
  seals
    .command('replace')
    .description('更换印章（新编码，旧章停用但仍可验证）/ replace a seal with a new code')
    .argument('<sealId>')
    .requiredOption('--code <esId>', '新印章编码 / the new seal code')
    .requiredOption('--valid-to <date>', '有效期止 / valid to')
    .requiredOption('--reason <text>', '原因 / reason')
    .option('--image <png>', '扫描印章图片 / scanned seal PNG')
    .action(async (id: string, o: { code: string; validTo: string; reason: string; image?: string }) => {
      const picture = png(o.image);
      await withCatalog(async (deps) => {
        const s = await replaceSeal(deps, id, {
          esId: o.code,
          validTo: date(o.validTo, '--valid-to'),
          reason: o.reason,
          ...picture,
          actor: CLI_ACTOR,
        });
        console.log(`已更换 / replaced: ${line(s)}`);
      });
    });
  seals
    .command('status')
    .description('停用、恢复或注销印章 / suspend, reactivate or revoke a seal')
    .argument('<sealId>')
    .argument('<status>', 'active 有效 | suspended 停用 | revoked 注销')
    .requiredOption('--reason <text>', '原因 / reason')
    .action(async (id: string, status: string, o: { reason: string }) => {
      const to = STATUS[status];
      if (!to) throw new Error(`状态须为 / status must be active | suspended | revoked (got "${status}")`);
      await withCatalog(async (deps) => {
        await changeSealStatus(deps, id, to, o.reason, CLI_ACTOR);
        console.log(`已${STATUS_ZH[to]} / ${to}: ${line((await repo.findSeal(deps.ctx.store.db, id))!)}`);
      });
    });
}
