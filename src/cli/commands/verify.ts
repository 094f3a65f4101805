import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { pemToDer } from '../../crypto/sm2.js';
import { type VerifyOfdOptions, verifyOfd } from '../../documents/verify.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';

/**
 * `bdcert verify <file.ofd>` — the file verifier: package, every Reference digest, the GB/T 38540 checks, and — when
 * the configured database is reachable — the seal registry and the certificate's current status and metadata.
 * Exit 0 only if every required check passed.
 */
export function register(program: Command): void {
  program
    .command('verify')
    .description('核验OFD电子证照 / verify a sealed OFD certificate file')
    .argument('<file>')
    .option('--ca <pem...>', '信任的根证书（PEM）/ trusted root certificates')
    .option('--offline', '不连接登记数据库 / do not consult the register database')
    .option('--json', '以JSON输出 / print JSON')
    .action(async (file: string, o: { ca?: string[]; offline?: boolean; json?: boolean }) => {
      const roots = (o.ca ?? []).map((p) => pemToDer(readFileSync(p, 'utf8'), 'CERTIFICATE'));
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
          const store = await openConfiguredStore(config);
          close = () => store.close();
          const ca = join(config.dataDir, 'keys', 'dev-ca.json');
          if (config.mode === 'demo' && existsSync(ca))
            roots.push(new Uint8Array(Buffer.from(JSON.parse(readFileSync(ca, 'utf8')).rootCertDer, 'base64')));
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
      try {
        const v = await verifyOfd(new Uint8Array(readFileSync(file)), opts);
        if (o.json) console.log(JSON.stringify(v, null, 2));
        else {
          for (const c of v.checks)
            console.log(
              `${c.status === 'passed' ? '✔ 通过' : c.status === 'failed' ? '✖ 失败' : '- 跳过'}  ${c.title} / ${c.titleEn}${c.reason ? `  — ${c.reason}` : ''}`,
            );
          console.log(v.valid ? '结论：有效 / verdict: VALID' : '结论：无效 / verdict: INVALID');
        }
        process.exitCode = v.valid ? 0 : 1;
      } finally {
        await close?.();
      }
    });
}
