import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseCertificateBundle } from '../../crypto/x509.js';
import { type VerifyOfdOptions, verifyOfd } from '../../documents/verify.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';

/**
 * `bdcert verify <file.ofd>` — the file verifier: package, every Reference digest, the GB/T 38540 checks, and — when
 * the configured database is reachable — the seal registry and the certificate's current status and metadata.
 * Trusted roots come from `--ca` and, with a database, from the trust store. Exit codes: 0 valid (every required
 * check passed); 1 invalid (a check failed); 2 untrusted — nothing failed, but no trusted root was available to check
 * the seal maker's and the signer's certificate chains (「无法确认印章可信」). `--no-trust-check` accepts such a file
 * and the output says the chains were not checked.
 */
export const EXIT_INVALID = 1;
export const EXIT_UNTRUSTED = 2;

const VERDICT_TEXT = {
  valid: '结论：有效 / verdict: VALID',
  invalid: '结论：无效 / verdict: INVALID',
  untrusted:
    '结论：无法确认印章可信（未检查证书链：无信任根）/ verdict: UNTRUSTED (no trusted root to check the chains)',
} as const;
export function register(program: Command): void {
  program
    .command('verify')
    .description('核验OFD电子证照 / verify a sealed OFD certificate file')
    .argument('<file>')
    .option('--ca <pem...>', '信任的根证书或中间证书（PEM，可多个）/ trusted root or intermediate certificates')
    .option(
      '--no-trust-check',
      '不检查证书链（仅验证完整性，输出注明）/ skip the certificate-chain check (integrity only)',
    )
    .option('--offline', '不连接登记数据库 / do not consult the register database')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (file: string, o: { ca?: string[]; offline?: boolean; json?: boolean; trustCheck: boolean }) => {
      const roots = (o.ca ?? []).flatMap((p) => parseCertificateBundle(readFileSync(p)));
      const opts: { -readonly [K in keyof VerifyOfdOptions]: VerifyOfdOptions[K] } = {};
      let close: (() => Promise<void>) | undefined;
      if (!o.offline) {
        const { loadConfig } = await import('../../config.js');
        const config = loadConfig();
        const embedded = join(config.dataDir, 'pg');
        if (config.databaseUrl || existsSync(embedded)) {
          const { openConfiguredStore } = await import('../../app.js');
          const issuance = await import('../../modules/issuance/repository.js');
          const catalog = await import('../../modules/catalog/repository.js');
          const trust = await import('../../modules/catalog/trust-repository.js');
          const store = await openConfiguredStore(config);
          close = () => store.close();
          // The trust store (docs/crypto.md); in demo it holds the development root as well.
          try {
            roots.push(...(await trust.listTrusted(store.db)).map((t) => t.cert_der));
          } catch {
            // A database from before migration 0008 has no trust store: the demo's development root file stands in.
            const ca = join(config.dataDir, 'keys', 'dev-ca.json');
            if (config.mode === 'demo' && existsSync(ca))
              roots.push(new Uint8Array(Buffer.from(JSON.parse(readFileSync(ca, 'utf8')).rootCertDer, 'base64')));
          }
          opts.recordLookup = async (identifier) => {
            const c = await issuance.findByIdentifier(store.db, identifier);
            return c
              ? {
                  status: c.status,
                  statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
                  meta: { ZZBH: c.certificate_no },
                }
              : undefined;
          };
          opts.sealLookup = async (esId) => {
            const seals = await catalog.findSealByEsId(store.db, esId);
            const s = seals[0];
            return s ? { status: s.status, ...(s.status !== 'active' ? { since: s.updated_at } : {}) } : undefined;
          };
        }
      }
      if (roots.length) opts.trustedRoots = roots;
      if (!o.trustCheck) opts.skipTrustCheck = true;
      try {
        const v = await verifyOfd(new Uint8Array(readFileSync(file)), opts);
        if (o.json) console.log(JSON.stringify(v, null, 2));
        else {
          for (const c of v.checks)
            console.log(
              `${c.status === 'passed' ? '✔ 通过' : c.status === 'failed' ? '✖ 失败' : '- 跳过'}  ${c.title} / ${c.titleEn}${c.reason ? `  — ${c.reason}` : ''}`,
            );
          console.log(
            v.verdict === 'valid' && !o.trustCheck
              ? `${VERDICT_TEXT.valid}（未检查证书链：按要求跳过 / certificate chains NOT checked: --no-trust-check）`
              : VERDICT_TEXT[v.verdict],
          );
        }
        process.exitCode = v.verdict === 'valid' ? 0 : v.verdict === 'untrusted' ? EXIT_UNTRUSTED : EXIT_INVALID;
      } finally {
        await close?.();
      }
    });
}
