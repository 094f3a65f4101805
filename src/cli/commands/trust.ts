import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { certificateToPem } from '../../crypto/x509.js';
import { CLI_ACTOR, printJsonOr, withCatalog } from '../catalog-cli.js';

/**
 * `bdcert trust list|import|remove` — the trust store (docs/crypto.md "Trust store"): the SM2 CA certificates, roots
 * and intermediates, that seal makers' and signers' certificates must chain to. Import takes a PEM file (one or more
 * certificates, e.g. a CA's chain) or one DER certificate; each is checked (SM3withSM2, CA with keyCertSign, valid
 * now; a root's self-signature, an intermediate's chain) and the whole file is refused if one fails. Every change is
 * audited; a removal keeps the row with its reason.
 */
export function register(program: Command): void {
  const trust = program.command('trust').description('信任库（受信任的CA证书）/ trust store (trusted CA certificates)');
  trust
    .command('list')
    .description('列出受信任的CA证书及SM3指纹 / list trusted CA certificates with SM3 fingerprints')
    .option('--all', '包括已移出的 / include removed ones')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      await withCatalog(async (deps) => {
        const rows = await deps.trust.list({ includeRemoved: !!o.all });
        printJsonOr(
          o.json,
          rows.map(({ cert_der: _der, ...r }) => r),
          () =>
            rows.map(
              (r) =>
                `${r.id}  ${r.kind === 'root' ? '根 root' : '中间 intermediate'}  ${r.status === 'active' ? '有效 active' : `已移出 removed（${r.status_reason ?? ''}）`}  ${r.subject}  至 until ${r.not_after.toISOString().slice(0, 10)}  SM3 ${r.fingerprint}`,
            ),
        );
      });
    });
  trust
    .command('import')
    .description('导入CA根证书或中间证书（PEM/DER，验证证书链与密钥用法）/ import CA certificates (PEM/DER)')
    .argument('<file>', 'PEM（可含多个证书）或DER / PEM (one or more certificates) or DER')
    .option('--note <text>', '备注，如CA名称与来源 / note, e.g. which CA and where it came from')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (file: string, o: { note?: string; json?: boolean }) => {
      const input = new Uint8Array(readFileSync(file));
      await withCatalog(async (deps) => {
        const results = await deps.trust.importCertificates(input, {
          actor: CLI_ACTOR,
          ...(o.note ? { note: o.note } : {}),
        });
        printJsonOr(o.json, results, () =>
          results.map(
            (r) =>
              `${{ added: '已导入 added', unchanged: '已存在 unchanged', reactivated: '已恢复 reactivated' }[r.outcome]}  ${r.kind}  ${r.subject}  id=${r.id}  SM3 ${r.fingerprint}`,
          ),
        );
      });
    });
  trust
    .command('export')
    .description(
      '导出受信任的CA证书（PEM），供离线核验 / export the trusted CA certificates as PEM (for bdcert verify --ca)',
    )
    .option('--out <file>', '输出文件，缺省为标准输出 / output file (default stdout)')
    .action(async (o: { out?: string }) => {
      await withCatalog(async (deps) => {
        const pem = (await deps.trust.list()).map((r) => certificateToPem(r.cert_der)).join('');
        if (o.out) writeFileSync(o.out, pem);
        else process.stdout.write(pem);
      });
    });
  trust
    .command('remove')
    .description('移出信任库（记录原因）/ stop trusting a CA certificate')
    .argument('<id>', '信任证书 id 或 SM3 指纹 / id or SM3 fingerprint')
    .requiredOption('--reason <text>', '原因 / reason')
    .action(async (ref: string, o: { reason: string }) => {
      await withCatalog(async (deps) => {
        const rows = await deps.trust.list({ includeRemoved: true });
        const row = rows.find((r) => r.id === ref || r.fingerprint === ref.toLowerCase());
        if (!row) throw new Error(`信任库中没有 / not in the trust store: ${ref}`);
        const r = await deps.trust.remove(row.id, o.reason, CLI_ACTOR);
        console.log(`已移出 / removed: ${r.subject}  SM3 ${r.fingerprint}`);
      });
    });
}
