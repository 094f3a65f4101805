import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type ChainCheck,
  certificateFingerprint,
  isSelfSigned,
  type ParsedCertificate,
  parseCertificate,
  parseCertificateBundle,
  verifyChain,
} from '../../crypto/x509.js';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as repo from './trust-repository.js';
import type { TrustKind } from './trust-tables.js';

/**
 * The trust store: the SM2 CA certificates (roots and intermediates) this node trusts for seal-maker (制章者) and
 * signer (签章者) certificates — GB/T 38540 verification steps 4 and 6 (standards.md §7.2) need a trusted root, and
 * Huangchuan 5.1.2 wants authenticity verifiable. Every change is audited and evented; nothing is deleted.
 *
 * Importing checks what a CA certificate must be: SM3withSM2, a CA (basicConstraints cA) whose key usage includes
 * keyCertSign, valid now; a root's self-signature verifies; an intermediate chains to a root already trusted (or
 * in the same bundle). Verifiers read `anchors()` synchronously (the seal-crypto port and the public upload check
 * call it on every verification): a cache, refreshed after each change here and, for changes another process made
 * (a CLI import while the server runs), at most `maxAgeMs` later.
 */
export interface TrustImportResult {
  readonly id: string;
  readonly fingerprint: string;
  readonly kind: TrustKind;
  readonly subject: string;
  readonly notAfter: Date;
  /** added; unchanged (already trusted); reactivated (it had been removed). */
  readonly outcome: 'added' | 'unchanged' | 'reactivated';
}

const refuse = (code: string, zh: string, en: string): never => {
  throw new DomainError(code, zh, en, 'certificate');
};

export class TrustStore {
  private cache: Uint8Array[] = [];
  private loadedAt = 0;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly maxAgeMs: number,
  ) {}

  static async open(db: Kysely<Database>, now: () => Date, maxAgeMs = 30_000): Promise<TrustStore> {
    const t = new TrustStore(db, now, maxAgeMs);
    await t.refresh();
    return t;
  }

  async refresh(): Promise<void> {
    const rows = await repo.listTrusted(this.db);
    this.cache = rows.map((r) => r.cert_der);
    this.loadedAt = Date.now();
  }

  /** The active trusted certificates (DER), roots and intermediates, as `verifyChain` takes them. */
  anchors(): Uint8Array[] {
    if (Date.now() - this.loadedAt > this.maxAgeMs && !this.refreshing) {
      // Not awaited: a verifier must not wait on the database; a failed refresh keeps the last good set.
      this.refreshing = this.refresh()
        .catch(() => {})
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    return [...this.cache];
  }

  list(opts: { includeRemoved?: boolean } = {}): Promise<repo.TrustRow[]> {
    return repo.listTrusted(this.db, opts);
  }

  /** A certificate's chain to a trusted root at `at` (signer and seal-maker certificates on import). */
  verify(leafDer: Uint8Array, o: { at: Date; usage?: string }): ChainCheck {
    return verifyChain(leafDer, {
      roots: this.anchors(),
      at: o.at,
      ...(o.usage ? { requireUsage: o.usage } : {}),
    });
  }

  /**
   * Imports the CA certificates of a PEM bundle or one DER certificate: all or nothing. Roots are taken first, then
   * intermediates whose issuer is trusted (already, or earlier in the bundle).
   */
  async importCertificates(
    input: Uint8Array | string,
    o: { actor: AuditActor; note?: string; origin?: 'import' | 'dev-ca' },
  ): Promise<TrustImportResult[]> {
    const now = this.now();
    let ders: Uint8Array[];
    try {
      ders = parseCertificateBundle(input);
    } catch (e) {
      return refuse(
        'TRUST_CERT_UNREADABLE',
        '无法读取证书文件（PEM或DER）',
        `unreadable certificate: ${(e as Error).message}`,
      );
    }
    const parsed = ders.map((der, i) => {
      let c: ParsedCertificate;
      try {
        c = parseCertificate(der);
      } catch (e) {
        return refuse(
          'TRUST_CERT_UNREADABLE',
          `第${i + 1}个证书无法解析或不是SM2证书`,
          `certificate ${i + 1} is unreadable or not an SM2 certificate: ${(e as Error).message}`,
        );
      }
      checkCaCertificate(c, now);
      return c;
    });
    await this.refresh();
    const trusted = [...this.cache];
    const accepted: { c: ParsedCertificate; kind: TrustKind }[] = [];
    const pending = [...parsed];
    // Roots first; then intermediates as their issuers become trusted (a bundle may list them in any order).
    for (let progress = true; pending.length && progress; ) {
      progress = false;
      for (let i = 0; i < pending.length; i++) {
        const c = pending[i]!;
        const root = isSelfSigned(c);
        const ok = root || verifyChain(c.der, { roots: trusted, at: now, requireUsage: 'keyCertSign' }).ok;
        if (!ok) continue;
        accepted.push({ c, kind: root ? 'root' : 'intermediate' });
        trusted.push(c.der);
        pending.splice(i--, 1);
        progress = true;
      }
    }
    if (pending.length) {
      const c = pending[0]!;
      const why = verifyChain(c.der, { roots: trusted, at: now }).reasonEn ?? '';
      refuse(
        'TRUST_CHAIN',
        `中间证书「${c.subjectCommonName}」无法链接到已信任的根证书，请先导入其签发者`,
        `intermediate "${c.subject}" does not chain to a trusted root (${why}); import its issuer first`,
      );
    }
    const results: TrustImportResult[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (const { c, kind } of accepted) {
        const fingerprint = certificateFingerprint(c.der);
        const existing = await repo.findTrustedByFingerprint(trx, fingerprint);
        const id = existing?.id ?? randomUUID();
        let outcome: TrustImportResult['outcome'] = 'unchanged';
        if (!existing) {
          await repo.insertTrusted(trx, {
            id,
            fingerprint,
            kind,
            subject: c.subject,
            issuer: c.issuer,
            serial_hex: c.serialHex,
            not_before: c.notBefore,
            not_after: c.notAfter,
            cert_der: c.der,
            origin: o.origin ?? 'import',
            note: o.note ?? null,
            status: 'active',
            status_reason: null,
          });
          outcome = 'added';
        } else if (existing.status === 'removed') {
          await repo.setTrustedStatus(trx, id, 'active', o.note ?? null, now);
          outcome = 'reactivated';
        }
        results.push({ id, fingerprint, kind, subject: c.subject, notAfter: c.notAfter, outcome });
        if (outcome === 'unchanged') continue;
        await appendOutbox(trx, {
          aggregateType: 'trust-certificate',
          aggregateId: id,
          eventType: outcome === 'added' ? 'trust.added' : 'trust.reactivated',
          payload: { fingerprint, kind, subject: c.subject },
        });
        await recordAudit(trx, {
          actor: o.actor,
          action: outcome === 'added' ? 'trust.import' : 'trust.reactivate',
          objectType: 'trust-certificate',
          objectId: id,
          result: 'success',
          details: {
            fingerprint,
            kind,
            subject: c.subject,
            issuer: c.issuer,
            notAfter: c.notAfter.toISOString(),
            origin: o.origin ?? 'import',
            note: o.note ?? null,
          },
        });
      }
    });
    await this.refresh();
    return results;
  }

  /** Stops trusting a certificate (verification of what chains only through it fails from now on). */
  async remove(id: string, reason: string, actor: AuditActor): Promise<repo.TrustRow> {
    if (!reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写原因', 'A reason is required', 'reason');
    await this.db.transaction().execute(async (trx) => {
      const row = await repo.findTrusted(trx, id);
      if (!row) throw new DomainError('TRUST_NOT_FOUND', '信任证书不存在', 'No such trusted certificate', 'id');
      if (row.status === 'removed') return;
      await repo.setTrustedStatus(trx, id, 'removed', reason, this.now());
      await appendOutbox(trx, {
        aggregateType: 'trust-certificate',
        aggregateId: id,
        eventType: 'trust.removed',
        payload: { fingerprint: row.fingerprint, reason },
      });
      await recordAudit(trx, {
        actor,
        action: 'trust.remove',
        objectType: 'trust-certificate',
        objectId: id,
        result: 'success',
        details: { fingerprint: row.fingerprint, subject: row.subject, reason },
      });
    });
    await this.refresh();
    return (await repo.findTrusted(this.db, id))!;
  }
}

/** What a CA certificate must be to be trusted (RFC 5280 §4.2.1.3/4.2.1.9; GM/T 0015 SM3withSM2). */
function checkCaCertificate(c: ParsedCertificate, now: Date): void {
  if (c.signatureAlgorithm !== '1.2.156.10197.1.501') {
    refuse(
      'TRUST_NOT_SM2',
      `证书「${c.subjectCommonName}」不是SM3withSM2签名`,
      `"${c.subject}" is not SM3withSM2-signed`,
    );
  }
  if (!c.isCa || !c.keyUsage.includes('keyCertSign')) {
    refuse(
      'TRUST_NOT_CA',
      `证书「${c.subjectCommonName}」不是CA证书（须 basicConstraints cA=TRUE 且密钥用法含 keyCertSign）；签章人或制章者证书请用证书导入功能`,
      `"${c.subject}" is not a CA certificate (needs cA=TRUE and keyCertSign); import signer or seal-maker certificates as credentials`,
    );
  }
  if (now < c.notBefore || now > c.notAfter) {
    refuse('TRUST_EXPIRED', `证书「${c.subjectCommonName}」不在有效期内`, `"${c.subject}" is not valid now`);
  }
  if (isSelfSigned(c) === false && c.subject === c.issuer) {
    refuse(
      'TRUST_SELF_SIGNATURE',
      `根证书「${c.subjectCommonName}」自签名无效`,
      `root "${c.subject}" self-signature invalid`,
    );
  }
}
