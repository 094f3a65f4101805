import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { bytesToHex } from '../../crypto/bytes.js';
import { buildCsr } from '../../crypto/csr.js';
import type { KeyStore } from '../../crypto/keystore.js';
import {
  certificateFingerprint,
  type ParsedCertificate,
  parseCertificate,
  parseCertificateBundle,
  type SubjectInfo,
} from '../../crypto/x509.js';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import * as catalogRepo from './repository.js';
import * as repo from './trust-repository.js';
import type { TrustStore } from './trust-store.js';
import type { CredentialPurpose } from './trust-tables.js';

/**
 * Signing credentials issued elsewhere (issue 4 §2 "import of certificates issued elsewhere"): an agency's signer
 * certificate (签章人/机构证书) or a seal-maker certificate (制章者证书) from a licensed CA, bound to a key that stays in
 * the key store or the signing server (密码机/签章服务器) — only its reference is kept (Huangchuan 5.1.3, 5.2.7: key
 * material protected). Two ways in:
 *   1. `requestCredential`: the key pair is made inside the key store and a PKCS#10 request (SM3withSM2) is returned
 *      for the agency to send to its CA; `certifyCredential` then imports the issued certificate.
 *   2. `importCredential`: the key already exists in the signing server (a keyRef) and the certificate came with it.
 * Either way the certificate must match the key (public key equal, and a test signature from the key store verifies
 * under the certificate), chain to the trust store, not be a CA, be valid now and allow digitalSignature.
 */
export interface CredentialDeps {
  readonly ctx: ServiceContext;
  readonly keys: KeyStore;
  readonly trust: TrustStore;
}

const PURPOSE_ZH: Record<CredentialPurpose, string> = { signer: '签章人证书', 'seal-maker': '制章者证书' };

export async function requestCredential(
  deps: CredentialDeps,
  o: { agencyId?: string; purpose: CredentialPurpose; subject?: Partial<SubjectInfo>; actor: AuditActor },
): Promise<{ credential: repo.CredentialRow; csrDer: Uint8Array }> {
  const { ctx } = deps;
  const agency = o.agencyId ? await catalogRepo.findAgency(ctx.store.db, o.agencyId) : undefined;
  if (o.agencyId && !agency)
    throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  if (!agency && o.purpose === 'signer')
    throw new DomainError(
      'AGENCY_REQUIRED',
      '签章人证书属于登记机构，请指定机构',
      'A signer certificate belongs to an agency',
      'agencyId',
    );
  const commonName = o.subject?.commonName ?? agency?.name;
  if (!commonName)
    throw new DomainError(
      'SUBJECT_REQUIRED',
      '平台制章者证书须填写证书主体名称',
      'A platform seal maker needs a subject name',
      'commonName',
    );
  const subject: SubjectInfo = {
    commonName,
    ...((o.subject?.organization ?? agency?.name) ? { organization: o.subject?.organization ?? agency?.name } : {}),
    // The 统一社会信用代码 as OU, as the development CA writes it, so the certificate names the agency unambiguously.
    ...((o.subject?.organizationalUnit ?? agency?.uscc)
      ? { organizationalUnit: o.subject?.organizationalUnit ?? agency?.uscc }
      : {}),
    country: o.subject?.country ?? 'CN',
  };
  const { keyRef, publicKey } = await deps.keys.generate(`${o.purpose}:${agency?.uscc ?? 'platform'}`);
  const csrDer = await buildCsr(subject, await deps.keys.signer(keyRef));
  const id = randomUUID();
  const subjectText = [
    `C=${subject.country}`,
    subject.organization && `O=${subject.organization}`,
    subject.organizationalUnit && `OU=${subject.organizationalUnit}`,
    `CN=${subject.commonName}`,
  ]
    .filter(Boolean)
    .join(', ');
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.insertCredential(trx, {
      id,
      agency_id: agency?.id ?? null,
      purpose: o.purpose,
      key_ref: keyRef,
      public_key: bytesToHex(publicKey.toRaw()),
      status: 'awaiting-certificate',
      subject: subjectText,
      csr_der: csrDer,
      cert_der: null,
      fingerprint: null,
      serial_hex: null,
      issuer: null,
      not_before: null,
      not_after: null,
      status_reason: null,
    });
    await appendOutbox(trx, {
      aggregateType: 'credential',
      aggregateId: id,
      eventType: 'credential.requested',
      payload: { agencyId: agency?.id ?? null, purpose: o.purpose, subject: subjectText },
    });
    await recordAudit(trx, {
      actor: o.actor,
      action: 'credential.request',
      objectType: 'credential',
      objectId: id,
      result: 'success',
      details: { agencyId: agency?.id ?? null, purpose: o.purpose, subject: subjectText, keyStore: deps.keys.kind },
    });
  });
  return { credential: (await repo.findCredential(ctx.store.db, id))!, csrDer };
}

/** Imports the certificate the CA issued for a request made by `requestCredential`. */
export async function certifyCredential(
  deps: CredentialDeps,
  credentialId: string,
  certificate: Uint8Array | string,
  actor: AuditActor,
): Promise<repo.CredentialRow> {
  const cred = await repo.findCredential(deps.ctx.store.db, credentialId);
  if (!cred) throw new DomainError('CREDENTIAL_NOT_FOUND', '证书请求不存在', 'No such credential', 'credentialId');
  if (cred.status !== 'awaiting-certificate')
    throw new DomainError(
      'CREDENTIAL_NOT_AWAITING',
      '该请求已导入过证书；同一密钥的新证书请按密钥引用导入',
      'This request already has its certificate; import a renewed one by key reference',
      'credentialId',
    );
  const cert = await checkIssuedCertificate(deps, cred.key_ref, certificate);
  await saveCertified(deps, cred.id, cert, actor, cred.agency_id, cred.purpose);
  return (await repo.findCredential(deps.ctx.store.db, cred.id))!;
}

/** Imports a certificate for a key that already exists in the key store or signing server (by its reference). */
export async function importCredential(
  deps: CredentialDeps,
  o: {
    agencyId?: string;
    purpose: CredentialPurpose;
    keyRef: string;
    certificate: Uint8Array | string;
    actor: AuditActor;
  },
): Promise<repo.CredentialRow> {
  const { ctx } = deps;
  if (o.agencyId && !(await catalogRepo.findAgency(ctx.store.db, o.agencyId)))
    throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  if (!o.agencyId && o.purpose === 'signer')
    throw new DomainError(
      'AGENCY_REQUIRED',
      '签章人证书属于登记机构，请指定机构',
      'A signer certificate belongs to an agency',
      'agencyId',
    );
  const cert = await checkIssuedCertificate(deps, o.keyRef, o.certificate);
  const id = randomUUID();
  await saveCertified(deps, id, cert, o.actor, o.agencyId ?? null, o.purpose, (trx) =>
    repo.insertCredential(trx, {
      id,
      agency_id: o.agencyId ?? null,
      purpose: o.purpose,
      key_ref: o.keyRef,
      public_key: bytesToHex(cert.publicKey.toRaw()),
      status: 'awaiting-certificate',
      subject: cert.subject,
      csr_der: null,
      cert_der: null,
      fingerprint: null,
      serial_hex: null,
      issuer: null,
      not_before: null,
      not_after: null,
      status_reason: null,
    }),
  );
  return (await repo.findCredential(ctx.store.db, id))!;
}

export async function retireCredential(
  deps: Pick<CredentialDeps, 'ctx'>,
  credentialId: string,
  reason: string,
  actor: AuditActor,
): Promise<repo.CredentialRow> {
  if (!reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写原因', 'A reason is required', 'reason');
  const { db } = deps.ctx.store;
  await db.transaction().execute(async (trx) => {
    const cred = await repo.findCredential(trx, credentialId);
    if (!cred) throw new DomainError('CREDENTIAL_NOT_FOUND', '证书不存在', 'No such credential', 'credentialId');
    await repo.setCredentialStatus(trx, credentialId, 'retired', reason, deps.ctx.now());
    await recordAudit(trx, {
      actor,
      action: 'credential.retire',
      objectType: 'credential',
      objectId: credentialId,
      result: 'success',
      details: { from: cred.status, reason },
    });
  });
  return (await repo.findCredential(db, credentialId))!;
}

/**
 * The credential to use at `at`: the given one, or the newest active one of the agency valid then; for seal makers
 * the agency's own first, then a platform-wide one.
 */
export async function activeCredential(
  db: Kysely<Database>,
  o: { agencyId: string; purpose: CredentialPurpose; at: Date; credentialId?: string },
): Promise<(repo.CredentialRow & { cert_der: Uint8Array; not_after: Date }) | undefined> {
  const usable = (c: repo.CredentialRow): c is repo.CredentialRow & { cert_der: Uint8Array; not_after: Date } =>
    c.status === 'active' &&
    !!c.cert_der &&
    !!c.not_before &&
    !!c.not_after &&
    c.not_before <= o.at &&
    o.at < c.not_after &&
    c.purpose === o.purpose;
  if (o.credentialId) {
    const c = await repo.findCredential(db, o.credentialId);
    if (!c || (c.agency_id !== null && c.agency_id !== o.agencyId) || !usable(c))
      throw new DomainError(
        'CREDENTIAL_NOT_USABLE',
        `指定的${PURPOSE_ZH[o.purpose]}不存在、不属于该机构或不在有效期内`,
        `The given ${o.purpose} credential is missing, belongs elsewhere, or is not valid now`,
        o.purpose === 'signer' ? 'signerCredentialId' : 'makerCredentialId',
      );
    return c;
  }
  const rows = await repo.listCredentials(db, {
    agencyId: o.agencyId,
    includePlatform: o.purpose === 'seal-maker',
    purpose: o.purpose,
    status: 'active',
  });
  return rows.filter(usable).sort((a, b) => (a.agency_id === null ? 1 : 0) - (b.agency_id === null ? 1 : 0))[0];
}

async function checkIssuedCertificate(
  deps: CredentialDeps,
  keyRef: string,
  input: Uint8Array | string,
): Promise<ParsedCertificate> {
  const fail = (code: string, zh: string, en: string): never => {
    throw new DomainError(code, zh, en, 'certificate');
  };
  let publicKey: Awaited<ReturnType<KeyStore['publicKey']>>;
  try {
    publicKey = await deps.keys.publicKey(keyRef);
  } catch (e) {
    return fail(
      'KEY_NOT_FOUND',
      `密钥库中没有密钥 ${keyRef}`,
      `key ${keyRef} is not in the key store: ${(e as Error).message}`,
    );
  }
  let certs: ParsedCertificate[];
  try {
    certs = parseCertificateBundle(input).map((d) => parseCertificate(d));
  } catch (e) {
    return fail(
      'CERT_UNREADABLE',
      '无法读取证书（须为SM2证书，PEM或DER）',
      `unreadable certificate: ${(e as Error).message}`,
    );
  }
  // A CA's reply may carry its chain after the leaf: the leaf is the certificate of our key.
  const leaf = certs.find((c) => c.publicKey.equals(publicKey));
  if (!leaf)
    return fail(
      'CERT_KEY_MISMATCH',
      '证书的公钥与该密钥不符（不是为此证书请求签发的）',
      'the certificate is not for this key (public key differs)',
    );
  const now = deps.ctx.now();
  if (leaf.signatureAlgorithm !== '1.2.156.10197.1.501')
    fail('CERT_NOT_SM2', '证书不是SM3withSM2签名', 'the certificate is not SM3withSM2-signed');
  if (leaf.isCa) fail('CERT_IS_CA', 'CA证书不能用于签章或制章，请导入到信任库', 'a CA certificate cannot sign seals');
  if (!leaf.keyUsage.includes('digitalSignature'))
    fail(
      'CERT_KEY_USAGE',
      '证书密钥用法须包含数字签名（digitalSignature）',
      'the certificate key usage must include digitalSignature',
    );
  if (now < leaf.notBefore || now > leaf.notAfter)
    fail('CERT_NOT_VALID_NOW', '证书不在有效期内', 'the certificate is not valid now');
  const chain = deps.trust.verify(leaf.der, { at: now, usage: 'digitalSignature' });
  if (!chain.ok)
    fail(
      'CERT_UNTRUSTED',
      `证书无法链接到信任库中的根证书：${chain.reason}（请先导入签发CA的根证书与中间证书）`,
      `the certificate does not chain to the trust store: ${chain.reasonEn} (import the CA's root and intermediates first)`,
    );
  if (await repo.findCredentialByFingerprint(deps.ctx.store.db, certificateFingerprint(leaf.der)))
    fail('CERT_DUPLICATE', '该证书已导入', 'this certificate is already imported');
  // The key store really holds the private key of this certificate (a signing server could hold another).
  const challenge = randomBytes(32);
  const signature = await (await deps.keys.signer(keyRef)).sign(challenge);
  if (!leaf.publicKey.verify(challenge, signature))
    fail('CERT_KEY_MISMATCH', '密钥库签名无法用该证书验证', 'a test signature by the key does not verify');
  return leaf;
}

async function saveCertified(
  deps: CredentialDeps,
  id: string,
  cert: ParsedCertificate,
  actor: AuditActor,
  agencyId: string | null,
  purpose: CredentialPurpose,
  /** Runs first in the same transaction (importCredential inserts the row there). */
  before?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  const fingerprint = certificateFingerprint(cert.der);
  await deps.ctx.store.db.transaction().execute(async (trx) => {
    await before?.(trx);
    await repo.certifyCredential(trx, id, {
      certDer: cert.der,
      fingerprint,
      serialHex: cert.serialHex,
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      at: deps.ctx.now(),
    });
    await appendOutbox(trx, {
      aggregateType: 'credential',
      aggregateId: id,
      eventType: 'credential.certified',
      payload: { agencyId, purpose, fingerprint, subject: cert.subject, notAfter: cert.notAfter.toISOString() },
    });
    await recordAudit(trx, {
      actor,
      action: 'credential.certify',
      objectType: 'credential',
      objectId: id,
      result: 'success',
      details: {
        agencyId,
        purpose,
        fingerprint,
        subject: cert.subject,
        issuer: cert.issuer,
        serial: cert.serialHex,
        notAfter: cert.notAfter.toISOString(),
      },
    });
  });
}
