import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { csrToPem } from '../../crypto/csr.js';
import {
  certifyCredential,
  importCredential,
  requestCredential,
  retireCredential,
} from '../../modules/catalog/credentials.js';
import * as trustRepo from '../../modules/catalog/trust-repository.js';
import type { CredentialPurpose } from '../../modules/catalog/trust-tables.js';
import { CLI_ACTOR, printJsonOr, resolveAgency, withCatalog } from '../catalog-cli.js';

/**
 * `bdcert credentials request|certify|import|list|retire` — signer (签章人/机构) and seal-maker (制章者) certificates
 * from a licensed CA, with their keys in the key store or signing server (docs/crypto.md "Production setup"):
 *   1. `request --agency <id|uscc> --out agency.csr` makes the key pair inside the key store and writes a PKCS#10
 *      request (SM3withSM2) to send to the CA;
 *   2. `certify <credentialId> issued.pem` imports what the CA issued: it must be for that key, chain to the trust
 *      store (`bdcert trust import` the CA first), be valid now and allow digitalSignature.
 * `import --key-ref <ref>` does step 2 for a key that already lives in the signing server.
 */
const PURPOSES = ['signer', 'seal-maker'] as const;

function purposeOf(s: string): CredentialPurpose {
  if (!(PURPOSES as readonly string[]).includes(s))
    throw new Error(`用途须为 / purpose must be one of: ${PURPOSES.join(', ')} (got "${s}")`);
  return s as CredentialPurpose;
}

const line = (c: trustRepo.CredentialRow) =>
  `${c.id}  ${c.purpose === 'signer' ? '签章人 signer' : '制章者 seal-maker'}  ${c.status}  ${c.subject}${c.not_after ? `  至 until ${c.not_after.toISOString().slice(0, 10)}` : ''}  key=${c.key_ref}${c.fingerprint ? `  SM3 ${c.fingerprint}` : ''}`;

export function register(program: Command): void {
  const cmd = program
    .command('credentials')
    .description('签章人证书与制章者证书（CSR → CA → 导入）/ signer and seal-maker certificates (CSR → CA → import)');
  cmd
    .command('request')
    .description('在密钥库中生成密钥对并输出证书请求（PKCS#10）/ make a key pair and write a PKCS#10 request')
    .option('--agency <id|uscc|region>', '登记机构（平台制章者证书可省略）/ agency (omit for a platform seal maker)')
    .option('--purpose <purpose>', 'signer | seal-maker', 'signer')
    .option('--cn <name>', '证书主体名称，默认机构名称 / subject common name (default: the agency name)')
    .requiredOption('--out <file.csr>', '证书请求输出文件（PEM）/ where to write the request (PEM)')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (o: { agency?: string; purpose: string; cn?: string; out: string; json?: boolean }) => {
      const purpose = purposeOf(o.purpose);
      await withCatalog(async (deps, store) => {
        const agency = o.agency ? await resolveAgency(store, o.agency) : undefined;
        const { credential, csrDer } = await requestCredential(deps, {
          ...(agency ? { agencyId: agency.id } : {}),
          purpose,
          ...(o.cn ? { subject: { commonName: o.cn } } : {}),
          actor: CLI_ACTOR,
        });
        writeFileSync(o.out, csrToPem(csrDer));
        printJsonOr(o.json, { credentialId: credential.id, csr: o.out, subject: credential.subject }, () => [
          `证书请求已写入 / request written: ${o.out}`,
          `凭证 credential: ${line(credential)}`,
          `请将请求交持牌CA签发，然后运行 / send it to the CA, then run: bdcert credentials certify ${credential.id} <issued.pem>`,
        ]);
      });
    });
  cmd
    .command('certify')
    .description('导入CA针对证书请求签发的证书 / import the certificate the CA issued for a request')
    .argument('<credentialId>')
    .argument('<certificate>', 'PEM 或 DER（可附CA链）/ PEM or DER (may carry the CA chain)')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (id: string, file: string, o: { json?: boolean }) => {
      const input = new Uint8Array(readFileSync(file));
      await withCatalog(async (deps) => {
        const c = await certifyCredential(deps, id, input, CLI_ACTOR);
        printJsonOr(o.json, { ...c, cert_der: undefined, csr_der: undefined }, () => [`已导入 / imported: ${line(c)}`]);
      });
    });
  cmd
    .command('import')
    .description('导入证书及其在签章服务器中的密钥引用 / import a certificate for a key already in the signing server')
    .option('--agency <id|uscc|region>', '登记机构（平台制章者证书可省略）/ agency (omit for a platform seal maker)')
    .requiredOption('--purpose <purpose>', 'signer | seal-maker')
    .requiredOption('--key-ref <ref>', '密钥引用 / key reference in the key store or signing server')
    .argument('<certificate>', 'PEM 或 DER / PEM or DER')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (file: string, o: { agency?: string; purpose: string; keyRef: string; json?: boolean }) => {
      const purpose = purposeOf(o.purpose);
      const input = new Uint8Array(readFileSync(file));
      await withCatalog(async (deps, store) => {
        const agency = o.agency ? await resolveAgency(store, o.agency) : undefined;
        const c = await importCredential(deps, {
          ...(agency ? { agencyId: agency.id } : {}),
          purpose,
          keyRef: o.keyRef,
          certificate: input,
          actor: CLI_ACTOR,
        });
        printJsonOr(o.json, { ...c, cert_der: undefined, csr_der: undefined }, () => [`已导入 / imported: ${line(c)}`]);
      });
    });
  cmd
    .command('list')
    .description('列出证书凭证 / list credentials')
    .option('--agency <id|uscc|region>', '登记机构 / agency')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (o: { agency?: string; json?: boolean }) => {
      await withCatalog(async (deps, store) => {
        const agency = o.agency ? await resolveAgency(store, o.agency) : undefined;
        const rows = await trustRepo.listCredentials(deps.ctx.store.db, {
          ...(agency ? { agencyId: agency.id, includePlatform: true } : {}),
        });
        printJsonOr(
          o.json,
          rows.map(({ cert_der: _c, csr_der: _r, ...r }) => r),
          () => rows.map(line),
        );
      });
    });
  cmd
    .command('retire')
    .description('停用证书凭证（不再用于新印章）/ retire a credential (no new seals with it)')
    .argument('<credentialId>')
    .requiredOption('--reason <text>', '原因 / reason')
    .action(async (id: string, o: { reason: string }) => {
      await withCatalog(async (deps) => {
        const c = await retireCredential(deps, id, o.reason, CLI_ACTOR);
        console.log(`已停用 / retired: ${line(c)}`);
      });
    });
}
