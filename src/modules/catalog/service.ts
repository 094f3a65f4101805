import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { equalBytes } from '../../crypto/bytes.js';
import type { KeyStore } from '../../crypto/keystore.js';
import { type ParsedSeal, parseSESeal } from '../../crypto/ses.js';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3 } from '../../crypto/sm3.js';
import { parseCertificate } from '../../crypto/x509.js';
import { checkSealPng, rasterizeSealSvg } from '../../documents/seal-image.js';
import { DomainError } from '../../domain/problem.js';
import { sm3Hex } from '../../store/blobs.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database, SealStatus } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import type { SealRegistryPort } from '../integrations/seal-registry/port.js';
import * as repo from './repository.js';
import * as trustRepo from './trust-repository.js';
import type { TrustStore } from './trust-store.js';

/**
 * What the catalog needs from the cryptography layer to make and use seals (`seal-crypto.ts`): imported credentials
 * from a licensed CA first, the development CA as the demo's fallback; keys in the key store or a signing server.
 */
export interface SealCrypto {
  /**
   * The signer (签章人) key and certificate for a new seal: the agency's imported signer credential (the given one,
   * or the newest valid), or — demo only — a new key with a development-CA certificate.
   */
  provisionSigner(
    subject: { agencyId: string; agencyName: string; uscc: string },
    validTo: Date,
    opts?: { credentialId?: string },
  ): Promise<{ keyRef: string; certDer: Uint8Array }>;
  /** Makes the SESeal (GB/T 38540) signed by the seal maker: an imported seal-maker credential, or the dev CA. */
  makeSeal(opts: {
    agencyId: string;
    esId: string;
    name: string;
    validFrom: Date;
    validTo: Date;
    signerCertDer: Uint8Array;
    picturePng: Uint8Array;
    makerCredentialId?: string;
  }): Promise<Uint8Array>;
  signer(keyRef: string): Promise<Sm2Signer>;
  /** The round red seal image for an agency (Issue 4 §5), PNG with transparency. */
  sealPicture(agencyName: string): Promise<Uint8Array>;
  /** The trust store's certificates (roots and intermediates): what a verifier trusts for seals and signers. */
  trustedRoots(): Uint8Array[];
}

export interface CatalogDeps {
  readonly ctx: ServiceContext;
  readonly sealCrypto: SealCrypto;
  readonly sealRegistry: SealRegistryPort;
  /** Trusted CA certificates (imports of CA, signer and seal-maker certificates and seals check against it). */
  readonly trust: TrustStore;
  /** Where signing keys live; credential requests make their key pair here. */
  readonly keys: KeyStore;
}

export interface ActiveSeal {
  readonly sealId: string;
  readonly esId: string;
  readonly name: string;
  readonly sealDer: Uint8Array;
  readonly signerCertDer: Uint8Array;
  readonly signer: Sm2Signer;
  readonly picturePng: Uint8Array;
  readonly validFrom: Date;
  readonly validTo: Date;
}

type Db = Kysely<Database> | Transaction<Database>;

const SEAL_SUFFIX = '不动产登记专用章';

export async function getAgency(ctx: Pick<ServiceContext, 'store'>, agencyId: string): Promise<repo.AgencyRow> {
  const a = await repo.findAgency(ctx.store.db, agencyId);
  if (!a) throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  return a;
}

/** The seal an agency seals with at `at` (Huangchuan 1.4: the agency's e-seal on 「登记机构（章）」). */
export async function activeSeal(
  deps: Pick<CatalogDeps, 'ctx' | 'sealCrypto'>,
  agencyId: string,
  at: Date,
): Promise<ActiveSeal> {
  const row = await repo.findActiveSeal(deps.ctx.store.db, agencyId, at);
  if (!row) {
    throw new DomainError(
      'NO_ACTIVE_SEAL',
      '该登记机构没有有效的电子印章',
      'The agency has no valid electronic seal',
      'agencyId',
    );
  }
  return {
    sealId: row.id,
    esId: row.es_id,
    name: row.name,
    sealDer: row.seal_der,
    signerCertDer: row.signer_cert_der,
    signer: await deps.sealCrypto.signer(row.signer_key_ref),
    picturePng: row.picture_png,
    validFrom: row.valid_from,
    validTo: row.valid_to,
  };
}

export interface CreateSealOptions {
  readonly agencyId: string;
  /** 印章编码: the physical seal's number (Huangchuan 3.1). */
  readonly esId: string;
  /** Must equal the agency's registered seal name (Henan 三(一)1: named like the physical seal). */
  readonly name: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** A scanned seal image (PNG with transparency); generated from the agency name when absent. */
  readonly picturePng?: Uint8Array;
  readonly replacesId?: string;
  readonly reason?: string;
  /** Imported credentials to use (default: the agency's newest valid signer credential, any valid seal maker). */
  readonly signerCredentialId?: string;
  readonly makerCredentialId?: string;
  readonly actor: AuditActor;
}

export async function createSeal(deps: CatalogDeps, opts: CreateSealOptions): Promise<repo.SealRow> {
  const { ctx } = deps;
  const agency = await getAgency(ctx, opts.agencyId);
  if (opts.name !== agency.seal_name) {
    throw new DomainError(
      'SEAL_NAME_MISMATCH',
      `印章名称必须与登记机构备案的印章名称一致：${agency.seal_name}`,
      `The seal name must equal the agency's registered seal name: ${agency.seal_name}`,
      'name',
    );
  }
  checkSealNameAndCode(opts.name, opts.esId);
  if (!(opts.validFrom < opts.validTo)) {
    throw new DomainError('SEAL_VALIDITY', '有效期起必须早于有效期止', 'validFrom must be before validTo', 'validTo');
  }
  const picturePng = opts.picturePng ?? (await deps.sealCrypto.sealPicture(agency.name));
  const signer = await deps.sealCrypto.provisionSigner(
    { agencyId: agency.id, agencyName: agency.name, uscc: agency.uscc },
    opts.validTo,
    opts.signerCredentialId ? { credentialId: opts.signerCredentialId } : {},
  );
  const sealDer = await deps.sealCrypto.makeSeal({
    agencyId: agency.id,
    esId: opts.esId,
    name: opts.name,
    validFrom: opts.validFrom,
    validTo: opts.validTo,
    signerCertDer: signer.certDer,
    picturePng,
    ...(opts.makerCredentialId ? { makerCredentialId: opts.makerCredentialId } : {}),
  });
  const id = randomUUID();
  const row = {
    id,
    agency_id: agency.id,
    es_id: opts.esId,
    name: opts.name,
    status: 'active' as SealStatus,
    valid_from: opts.validFrom,
    valid_to: opts.validTo,
    seal_der: sealDer,
    signer_cert_der: signer.certDer,
    signer_key_ref: signer.keyRef,
    picture_png: picturePng,
    replaces_id: opts.replacesId ?? null,
    change_reason: opts.reason ?? null,
    filing_no: null,
    filed_at: null,
    status_reason: null,
    origin: 'local' as const,
  };
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.insertSeal(trx, row);
    await appendOutbox(trx, {
      aggregateType: 'seal',
      aggregateId: id,
      eventType: opts.replacesId ? 'seal.replaced' : 'seal.created',
      payload: {
        agencyId: agency.id,
        esId: opts.esId,
        name: opts.name,
        replacesId: opts.replacesId,
      },
    });
    await recordAudit(trx, {
      actor: opts.actor,
      action: opts.replacesId ? 'seal.replace' : 'seal.create',
      objectType: 'seal',
      objectId: id,
      result: 'success',
      details: { agencyId: agency.id, esId: opts.esId, name: opts.name, replacesId: opts.replacesId ?? null },
    });
  });
  await fileSeal(deps, id);
  return (await repo.findSeal(ctx.store.db, id))!;
}

/** Files the seal with the national seal registry and records the filing number and date. Retry-safe. */
export async function fileSeal(deps: CatalogDeps, sealId: string): Promise<void> {
  const { ctx } = deps;
  const seal = await repo.findSeal(ctx.store.db, sealId);
  if (!seal) throw new DomainError('SEAL_NOT_FOUND', '印章不存在', 'Seal not found', 'sealId');
  if (seal.filing_no) return;
  const agency = await getAgency(ctx, seal.agency_id);
  const res = await deps.sealRegistry.file({
    esId: seal.es_id,
    sealName: seal.name,
    agencyName: agency.name,
    agencyUscc: agency.uscc,
    validFrom: seal.valid_from.toISOString(),
    validTo: seal.valid_to.toISOString(),
    sealDigest: sm3Hex(seal.seal_der),
  });
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.recordFiling(trx, sealId, res.filingNo, new Date(res.filedAt));
    await appendOutbox(trx, {
      aggregateType: 'seal',
      aggregateId: sealId,
      eventType: 'seal.filed',
      payload: { filingNo: res.filingNo, registry: deps.sealRegistry.label, simulated: deps.sealRegistry.simulated },
    });
    await recordAudit(trx, {
      actor: { kind: 'system', id: 'seal-registry' },
      action: 'seal.file',
      objectType: 'seal',
      objectId: sealId,
      result: 'success',
      details: { filingNo: res.filingNo, simulated: deps.sealRegistry.simulated },
    });
  });
}

/**
 * Renewal (Sichuan Art. 9: renewed or replaced in time): a new seal with the same code and a new validity, which
 * replaces the old one; the old seal stays in the registry, so what it sealed still verifies.
 */
export async function renewSeal(
  deps: CatalogDeps,
  sealId: string,
  opts: { validTo: Date; reason: string; actor: AuditActor; picturePng?: Uint8Array },
): Promise<repo.SealRow> {
  const old = await repo.findSeal(deps.ctx.store.db, sealId);
  if (!old) throw new DomainError('SEAL_NOT_FOUND', '印章不存在', 'Seal not found', 'sealId');
  if (old.status === 'revoked') {
    throw new DomainError('SEAL_REVOKED', '已注销的印章不能续期', 'A revoked seal cannot be renewed', 'sealId');
  }
  const validFrom = deps.ctx.now();
  const created = await createSeal(deps, {
    agencyId: old.agency_id,
    esId: old.es_id,
    name: old.name,
    validFrom,
    validTo: opts.validTo,
    ...(opts.picturePng ? { picturePng: opts.picturePng } : {}),
    replacesId: old.id,
    reason: opts.reason,
    actor: opts.actor,
  });
  // The old seal stops sealing new files but stays verifiable for what it sealed.
  await changeSealStatus(deps, old.id, 'suspended', `已续期 / renewed: ${opts.reason}`, opts.actor);
  return created;
}

/**
 * Replacement (Sichuan Art. 9 「更换电子印章」): a new seal with a *new* code — the physical seal was re-made, e.g.
 * after a loss — replacing the old one, which stops sealing (suspended; a revoked one stays revoked) but stays in the
 * registry, so what it sealed still verifies. Renewal keeps the code and only extends the validity (`renewSeal`).
 */
export async function replaceSeal(
  deps: CatalogDeps,
  sealId: string,
  opts: {
    esId: string;
    validTo: Date;
    reason: string;
    actor: AuditActor;
    validFrom?: Date;
    picturePng?: Uint8Array;
  },
): Promise<repo.SealRow> {
  const old = await repo.findSeal(deps.ctx.store.db, sealId);
  if (!old) throw new DomainError('SEAL_NOT_FOUND', '印章不存在', 'Seal not found', 'sealId');
  if (!opts.reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写原因', 'A reason is required', 'reason');
  if (opts.esId === old.es_id) {
    throw new DomainError(
      'SEAL_CODE_UNCHANGED',
      '更换印章须使用新的印章编码（实物印章重新刻制后的编号）；仅延长有效期请用续期',
      'A replacement has a new seal code (the re-made physical seal’s number); to extend the validity, renew',
      'esId',
    );
  }
  const created = await createSeal(deps, {
    agencyId: old.agency_id,
    esId: opts.esId,
    name: old.name,
    validFrom: opts.validFrom ?? deps.ctx.now(),
    validTo: opts.validTo,
    ...(opts.picturePng ? { picturePng: opts.picturePng } : {}),
    replacesId: old.id,
    reason: opts.reason,
    actor: opts.actor,
  });
  if (old.status === 'active')
    await changeSealStatus(deps, old.id, 'suspended', `已更换为 ${opts.esId} / replaced: ${opts.reason}`, opts.actor);
  return created;
}

export interface ImportSealOptions {
  readonly agencyId: string;
  /** The SESeal (`.esl`, DER) as the provincial seal platform made it (Sichuan Art. 3). */
  readonly sealDer: Uint8Array;
  /** 印章编码 as on the physical seal: must equal the seal's esID (Huangchuan 3.1: same number as the physical seal). */
  readonly esId: string;
  /** The agency's signer credential the seal authorises (default: the one whose certificate the seal lists). */
  readonly signerCredentialId?: string;
  /** A seal this one renews (same code) or replaces (new code); the old one stops sealing. */
  readonly replacesId?: string;
  /** 国家印章备案号 when the platform has filed it already (Henan 三(一)1); otherwise it is filed through the port. */
  readonly filingNo?: string;
  readonly reason?: string;
  readonly actor: AuditActor;
}

/**
 * Registers a ready-made seal from the provincial seal platform: the SESeal is kept byte for byte (its maker's
 * signature covers DER(SES_SealInfo), standards.md §7.2), after checking that
 * - it is one DER SESeal (GB/T 38540 v4, or GM/T 0031 v2) whose maker signature verifies and whose maker certificate
 *   chains to the trust store (valid when the seal was made);
 * - its name equals the agency's registered seal name 「XX不动产登记专用章」 and its code the physical seal's number
 *   (Huangchuan 3.1; Henan 三(一)1: named like the physical seal);
 * - it is valid now, and lists a signer certificate of this agency whose key we hold (else nothing could seal with it);
 * - its picture is a PNG with transparency (or an SVG, rasterised for the page).
 */
export async function importSeal(
  deps: CatalogDeps,
  o: ImportSealOptions,
): Promise<{ seal: repo.SealRow; warnings: string[] }> {
  const { ctx } = deps;
  const agency = await getAgency(ctx, o.agencyId);
  const now = ctx.now();
  const bad = (code: string, zh: string, en: string, field = 'seal'): never => {
    throw new DomainError(code, zh, en, field);
  };
  let seal: ParsedSeal;
  try {
    if (o.sealDer[0] !== 0x30) throw new Error('not a DER SEQUENCE');
    seal = parseSESeal(o.sealDer);
  } catch (e) {
    return bad(
      'SEAL_FILE_INVALID',
      '不是有效的电子印章文件（GB/T 38540 SESeal，DER）',
      `not a GB/T 38540 SESeal (DER): ${(e as Error).message}`,
    );
  }
  if (seal.name !== agency.seal_name)
    bad(
      'SEAL_NAME_MISMATCH',
      `印章名称「${seal.name}」与登记机构备案的印章名称「${agency.seal_name}」不一致`,
      `The seal's name "${seal.name}" differs from the agency's registered seal name "${agency.seal_name}"`,
    );
  checkSealNameAndCode(seal.name, seal.esId, 'seal');
  if (seal.esId !== o.esId)
    bad(
      'SEAL_CODE_MISMATCH',
      `印章文件的编码 ${seal.esId} 与填写的实物印章编码 ${o.esId} 不一致`,
      `The seal's code ${seal.esId} differs from the physical seal's number ${o.esId}`,
      'esId',
    );
  if (!(seal.validStart < seal.validEnd) || seal.validEnd <= now)
    bad('SEAL_EXPIRED', '印章已过有效期或有效期无效', 'The seal has expired or its validity is malformed');
  // Maker: signature over SES_SealInfo as received, certificate chained to the trust store when the seal was made.
  let makerOk = false;
  try {
    makerOk =
      seal.signAlgId === '1.2.156.10197.1.501' &&
      parseCertificate(seal.makerCertDer).publicKey.verify(seal.sealInfoDer, seal.makerSignature);
  } catch {
    makerOk = false;
  }
  if (!makerOk)
    bad('SEAL_MAKER_SIGNATURE', '制章者签名无效，印章数据可能被篡改', 'The seal maker’s signature does not verify');
  const chain = deps.trust.verify(seal.makerCertDer, { at: seal.createDate, usage: 'digitalSignature' });
  if (!chain.ok)
    bad(
      'SEAL_MAKER_UNTRUSTED',
      `制章者证书不可信：${chain.reason}（请先将省级印章平台的CA证书导入信任库）`,
      `The seal maker's certificate is not trusted: ${chain.reasonEn} (import the provincial platform's CA first)`,
    );
  // Signer: one of the agency's active signer credentials must be listed (certs) or digested (type 2) in the seal.
  const creds = (
    await trustRepo.listCredentials(ctx.store.db, { agencyId: agency.id, purpose: 'signer', status: 'active' })
  ).filter((c) => !o.signerCredentialId || c.id === o.signerCredentialId);
  const listed = (cert: Uint8Array) =>
    seal.certListType === 1
      ? seal.signerCerts.some((c) => equalBytes(c, cert))
      : seal.signerCertDigests.some((d) => equalBytes(d.value, sm3(cert)));
  const cred = creds.find((c) => c.cert_der && listed(c.cert_der));
  if (!cred?.cert_der || !cred.not_after)
    return bad(
      'SEAL_SIGNER_NOT_HELD',
      '印章授权的签章人证书中没有本机构已导入的证书（请先导入签章人证书，并用它向省级平台申请制章）',
      'None of the signer certificates the seal authorises is an imported credential of this agency',
      'signerCredentialId',
    );
  const picturePng = sealPicturePng(seal);
  const existing = await repo.findSealByEsId(ctx.store.db, seal.esId);
  if (existing.some((s) => s.valid_from.getTime() === seal.validStart.getTime() || equalBytes(s.seal_der, o.sealDer)))
    bad('SEAL_ALREADY_REGISTERED', '该印章已登记', 'This seal is already registered');
  const old = o.replacesId ? await repo.findSeal(ctx.store.db, o.replacesId) : undefined;
  if (o.replacesId && (!old || old.agency_id !== agency.id))
    bad('SEAL_NOT_FOUND', '被替换的印章不存在', 'The seal to replace was not found', 'replacesId');
  const warnings: string[] = [];
  if (cred.not_after < seal.validEnd)
    warnings.push(
      `签章人证书 ${cred.not_after.toISOString().slice(0, 10)} 到期，早于印章有效期止：到期后须换证并重新制章 / the signer certificate expires before the seal`,
    );
  const id = randomUUID();
  const kind = !old ? 'import' : old.es_id === seal.esId ? 'renewal' : 'replacement';
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.insertSeal(trx, {
      id,
      agency_id: agency.id,
      es_id: seal.esId,
      name: seal.name,
      status: 'active',
      valid_from: seal.validStart,
      valid_to: seal.validEnd,
      seal_der: o.sealDer,
      signer_cert_der: cred.cert_der!,
      signer_key_ref: cred.key_ref,
      picture_png: picturePng,
      replaces_id: old?.id ?? null,
      change_reason: o.reason ?? null,
      filing_no: null,
      filed_at: null,
      status_reason: null,
      origin: 'imported',
    });
    await appendOutbox(trx, {
      aggregateType: 'seal',
      aggregateId: id,
      eventType: 'seal.imported',
      payload: { agencyId: agency.id, esId: seal.esId, name: seal.name, replacesId: old?.id ?? null, kind },
    });
    await recordAudit(trx, {
      actor: o.actor,
      action: 'seal.import',
      objectType: 'seal',
      objectId: id,
      result: 'success',
      details: {
        agencyId: agency.id,
        esId: seal.esId,
        name: seal.name,
        version: seal.version,
        vid: seal.vid,
        maker: parseCertificate(seal.makerCertDer).subject,
        signerCredentialId: cred.id,
        sealSm3: sm3Hex(o.sealDer),
        replacesId: old?.id ?? null,
        kind,
      },
    });
  });
  if (old?.status === 'active')
    await changeSealStatus(
      deps,
      old.id,
      'suspended',
      `${kind === 'renewal' ? '已续期' : '已更换'}（导入省级平台印章 ${seal.esId}）/ ${kind}: ${o.reason ?? 'imported'}`,
      o.actor,
    );
  if (o.filingNo) {
    await ctx.store.db.transaction().execute(async (trx) => {
      await repo.recordFiling(trx, id, o.filingNo!, now);
      await recordAudit(trx, {
        actor: o.actor,
        action: 'seal.file',
        objectType: 'seal',
        objectId: id,
        result: 'success',
        details: { filingNo: o.filingNo, by: 'provincial platform' },
      });
    });
  } else await fileSeal(deps, id);
  return { seal: (await repo.findSeal(ctx.store.db, id))!, warnings };
}

/** The page image of a seal: its own picture when PNG (with transparency), SVG rasterised; others refused. */
function sealPicturePng(seal: ParsedSeal): Uint8Array {
  const type = seal.picture.type.toUpperCase();
  try {
    if (type === 'PNG') {
      checkSealPng(seal.picture.data);
      return seal.picture.data;
    }
    if (type === 'SVG') return rasterizeSealSvg(new TextDecoder().decode(seal.picture.data));
  } catch (e) {
    const [zh, en] = (e as Error).message.split(' / ');
    throw new DomainError('SEAL_PICTURE_INVALID', `印章图片无效：${zh}`, `Seal picture: ${en ?? zh}`, 'seal');
  }
  throw new DomainError(
    'SEAL_PICTURE_TYPE',
    `暂不支持「${seal.picture.type}」格式的印章图片，请向省级平台申请PNG（带透明通道）或SVG格式`,
    `Seal pictures of type ${seal.picture.type} are not supported yet: ask for PNG (with transparency) or SVG`,
    'seal',
  );
}

/** Huangchuan 3.1: 「XX不动产登记专用章」 and a code like the physical seal's number. */
function checkSealNameAndCode(name: string, esId: string, field?: string): void {
  if (!name.endsWith(SEAL_SUFFIX)) {
    throw new DomainError(
      'SEAL_NAME_FORM',
      `印章名称应以「${SEAL_SUFFIX}」结尾`,
      `A seal name ends with ${SEAL_SUFFIX}`,
      field ?? 'name',
    );
  }
  if (!/^[0-9A-Za-z-]{4,40}$/.test(esId)) {
    throw new DomainError(
      'SEAL_CODE_FORM',
      '印章编码应为4–40位字母、数字或连字符',
      'Seal code: 4–40 letters, digits or hyphens',
      field ?? 'esId',
    );
  }
}

const SEAL_TRANSITIONS: Record<SealStatus, readonly SealStatus[]> = {
  active: ['suspended', 'revoked'],
  suspended: ['active', 'revoked'],
  revoked: [],
};

export async function changeSealStatus(
  deps: CatalogDeps,
  sealId: string,
  status: SealStatus,
  reason: string,
  actor: AuditActor,
): Promise<void> {
  const { ctx } = deps;
  if (!reason.trim()) throw new DomainError('REASON_REQUIRED', '请填写原因', 'A reason is required', 'reason');
  await ctx.store.db.transaction().execute(async (trx: Db) => {
    const seal = await repo.findSeal(trx, sealId);
    if (!seal) throw new DomainError('SEAL_NOT_FOUND', '印章不存在', 'Seal not found', 'sealId');
    if (!SEAL_TRANSITIONS[seal.status].includes(status)) {
      throw new DomainError(
        'ILLEGAL_SEAL_TRANSITION',
        `印章状态不能从「${seal.status}」变为「${status}」`,
        `Seal status cannot change from ${seal.status} to ${status}`,
        'status',
      );
    }
    await repo.updateSealStatus(trx, sealId, status, reason, ctx.now());
    await appendOutbox(trx, {
      aggregateType: 'seal',
      aggregateId: sealId,
      eventType: `seal.${status}`,
      payload: { reason },
    });
    await recordAudit(trx, {
      actor,
      action: `seal.${status}`,
      objectType: 'seal',
      objectId: sealId,
      result: 'success',
      details: { from: seal.status, to: status, reason },
    });
  });
  if (status === 'revoked') {
    const seal = (await repo.findSeal(ctx.store.db, sealId))!;
    await deps.sealRegistry.revoke(seal.es_id, reason);
  }
}
