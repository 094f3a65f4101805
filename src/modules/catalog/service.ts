import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { DomainError } from '../../domain/problem.js';
import { sm3Hex } from '../../store/blobs.js';
import { appendOutbox } from '../../store/outbox.js';
import type { Database, SealStatus } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import type { SealRegistryPort } from '../integrations/seal-registry/port.js';
import * as repo from './repository.js';

/**
 * What the catalog needs from the cryptography layer to make and use seals. The default implementation
 * (`seal-crypto.ts`) uses the local key store and CA; a hardware device or signing server implements the same.
 */
export interface SealCrypto {
  /** Creates a signing key for the seal holder and a signer certificate for it; returns the key reference. */
  provisionSigner(
    subject: { agencyName: string; uscc: string },
    validTo: Date,
  ): Promise<{ keyRef: string; certDer: Uint8Array }>;
  /** Makes the SESeal (GB/T 38540) signed by the seal maker. */
  makeSeal(opts: {
    esId: string;
    name: string;
    validFrom: Date;
    validTo: Date;
    signerCertDer: Uint8Array;
    picturePng: Uint8Array;
  }): Promise<Uint8Array>;
  signer(keyRef: string): Promise<Sm2Signer>;
  /** The round red seal image for an agency (Issue 4 §5), PNG with transparency. */
  sealPicture(agencyName: string): Promise<Uint8Array>;
  /** CA certificates a verifier trusts for seals made here. */
  trustedRoots(): Uint8Array[];
}

export interface CatalogDeps {
  readonly ctx: ServiceContext;
  readonly sealCrypto: SealCrypto;
  readonly sealRegistry: SealRegistryPort;
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
  if (!opts.name.endsWith(SEAL_SUFFIX)) {
    throw new DomainError(
      'SEAL_NAME_FORM',
      `印章名称应以「${SEAL_SUFFIX}」结尾`,
      `A seal name ends with ${SEAL_SUFFIX}`,
      'name',
    );
  }
  if (!(opts.validFrom < opts.validTo)) {
    throw new DomainError('SEAL_VALIDITY', '有效期起必须早于有效期止', 'validFrom must be before validTo', 'validTo');
  }
  if (!/^[0-9A-Za-z-]{4,40}$/.test(opts.esId)) {
    throw new DomainError(
      'SEAL_CODE_FORM',
      '印章编码应为4–40位字母、数字或连字符',
      'Seal code: 4–40 letters, digits or hyphens',
      'esId',
    );
  }
  const picturePng = opts.picturePng ?? (await deps.sealCrypto.sealPicture(agency.name));
  const signer = await deps.sealCrypto.provisionSigner({ agencyName: agency.name, uscc: agency.uscc }, opts.validTo);
  const sealDer = await deps.sealCrypto.makeSeal({
    esId: opts.esId,
    name: opts.name,
    validFrom: opts.validFrom,
    validTo: opts.validTo,
    signerCertDer: signer.certDer,
    picturePng,
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
