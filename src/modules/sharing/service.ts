import { renderCertificate } from '../../documents/render.js';
import { type OfdVerification, verifyOfd } from '../../documents/verify.js';
import type { Principal } from '../../domain/access.js';
import { ALTERNATIVE_PROOF_TYPE_CODE, DEFAULT_PROOF_TYPE_CODE, typeCodeOf } from '../../domain/catalog.js';
import type { FaceData } from '../../domain/face-data.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';
import { DomainError } from '../../domain/problem.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import { activeSeal } from '../catalog/service.js';
import * as repo from '../issuance/repository.js';
import { decryptFace, type IssuanceDeps } from '../issuance/service.js';
import { maskIdNumber, maskName } from '../privacy/mask.js';

/**
 * The four sharing interfaces (Henan 三(一)7, C0124: 检索, 下载, 信息获取, 信息验证) for institutions under a sharing
 * agreement (Sichuan Art. 16). Every call names the use cause (用证事由) and the case number it serves and the holder
 * it concerns; results are limited to that holder (Nanyang Art. 12). A certificate outside the agreement's scope or
 * of another holder answers exactly like a missing one, and every call — allowed or refused — is audited.
 */
export interface UseContext {
  readonly purpose: string;
  readonly caseNo: string;
  /** 持证主体代码 of the holder the matter concerns (ID number or USCC), and its code type. */
  readonly holderCode: string;
  readonly holderCodeType: string;
}

type Institution = Extract<Principal, { kind: 'institution' }>;

export interface SharingDeps {
  readonly issuance: IssuanceDeps;
}

function inScope(p: Institution, c: repo.CertificateRow, agencyRegion: string, now: Date): boolean {
  if (p.validUntil.getTime() <= now.getTime()) return false;
  // An empty list of certificate types means the agreement covers both kinds.
  // Types may be named by our kind or by the catalog's 证照类型代码 (either proof code, standards.md §1.4).
  const names = [
    c.kind,
    typeCodeOf(c.kind),
    ...(c.kind === 'registration-proof' ? [DEFAULT_PROOF_TYPE_CODE, ALTERNATIVE_PROOF_TYPE_CODE] : []),
  ];
  if (p.certificateTypes.length && !names.some((n) => p.certificateTypes.includes(n))) return false;
  return p.regionCodes.some((r) => agencyRegion.startsWith(r));
}

async function audit(
  deps: SharingDeps,
  p: Institution,
  action: string,
  use: UseContext,
  result: 'success' | 'denied',
  extra: {
    certificate?: repo.CertificateRow;
    reason?: string;
    ip?: string;
    requestId?: string;
    details?: Record<string, unknown>;
  },
) {
  const actor: AuditActor = { kind: 'institution', id: p.clientId, clientId: p.clientId };
  await recordAudit(deps.issuance.ctx.store.db, {
    actor,
    action: `share.${action}`,
    ...(extra.certificate
      ? {
          certificateId: extra.certificate.id,
          issuingAgencyId: extra.certificate.agency_id,
          objectType: 'certificate',
          objectId: extra.certificate.id,
        }
      : {}),
    holderKey: deps.issuance.ctx.fieldCrypto.index(use.holderCode),
    purpose: use.purpose,
    caseNo: use.caseNo,
    result,
    ...(extra.reason ? { reason: extra.reason } : {}),
    ...(extra.ip ? { ip: extra.ip } : {}),
    ...(extra.requestId ? { requestId: extra.requestId } : {}),
    details: { agreementNo: p.agreementNo, ...(extra.details ?? {}) },
  });
}

export interface CallMeta {
  readonly ip?: string;
  readonly requestId?: string;
}

/** Finds a certificate the institution may see for this holder, or throws NOT_FOUND after auditing the refusal. */
async function visible(
  deps: SharingDeps,
  p: Institution,
  identifier: string,
  use: UseContext,
  action: string,
  meta: CallMeta,
): Promise<repo.CertificateRow> {
  const { ctx } = deps.issuance;
  const c = await repo.findByIdentifier(ctx.store.db, identifier.trim());
  const agency = c ? await catalogRepo.findAgency(ctx.store.db, c.agency_id) : undefined;
  const holderKey = ctx.fieldCrypto.index(use.holderCode);
  const ok =
    !!c &&
    !!agency &&
    c.holder_keys.includes(holderKey) &&
    inScope(p, c, agency.region_code, ctx.now()) &&
    !['draft', 'pending-seal', 'rolled-back'].includes(c.status);
  if (!ok) {
    await audit(deps, p, action, use, 'denied', {
      reason: 'NOT_FOUND_OR_NOT_HOLDER',
      ...meta,
      details: { identifier },
    });
    throw new DomainError('NOT_FOUND', '未找到该持证主体的证照', 'No such certificate for that holder', 'identifier');
  }
  return c!;
}

export interface SharedSummary {
  readonly identifier: string;
  readonly certificateNo: string;
  readonly kind: string;
  readonly status: string;
  readonly statusName: string;
  readonly issuer: string;
  readonly registeredOn: string;
  readonly location: string;
  readonly holders: string;
}

async function summarise(deps: SharingDeps, c: repo.CertificateRow): Promise<SharedSummary> {
  const agency = await catalogRepo.findAgency(deps.issuance.ctx.store.db, c.agency_id);
  return {
    identifier: c.identifier,
    certificateNo: c.certificate_no,
    kind: c.kind,
    status: c.status,
    statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
    issuer: agency?.name ?? '',
    registeredOn: c.registered_on,
    location: c.location,
    holders: c.holder_display,
  };
}

/** 检索: the holder's certificates the agreement covers. */
export async function search(
  deps: SharingDeps,
  p: Institution,
  use: UseContext,
  kind: string | undefined,
  meta: CallMeta,
): Promise<SharedSummary[]> {
  const { ctx } = deps.issuance;
  const rows = await repo.certificatesOfHolder(ctx.store.db, ctx.fieldCrypto.index(use.holderCode));
  const out: SharedSummary[] = [];
  for (const c of rows) {
    if (kind && c.kind !== kind) continue;
    const agency = await catalogRepo.findAgency(ctx.store.db, c.agency_id);
    if (agency && inScope(p, c, agency.region_code, ctx.now())) out.push(await summarise(deps, c));
  }
  await audit(deps, p, 'search', use, 'success', { ...meta, details: { results: out.length, kind } });
  return out;
}

/** 信息获取: face data of one certificate, optionally only some fields; ID numbers of other people are masked. */
export async function info(
  deps: SharingDeps,
  p: Institution,
  identifier: string,
  use: UseContext,
  fields: readonly string[] | undefined,
  meta: CallMeta,
): Promise<{ summary: SharedSummary; face: Record<string, unknown> }> {
  const c = await visible(deps, p, identifier, use, 'info', meta);
  const face = decryptFace(deps.issuance, c) as unknown as Record<string, unknown>;
  const holderKey = deps.issuance.ctx.fieldCrypto.index(use.holderCode);
  const maskOthers = (list: unknown) =>
    Array.isArray(list)
      ? list.map((x) => {
          const v = x as { idNumber?: string; name?: string };
          return v.idNumber && deps.issuance.ctx.fieldCrypto.index(v.idNumber) !== holderKey
            ? { ...v, idNumber: maskIdNumber(v.idNumber), ...(v.name ? { name: maskName(v.name) } : {}) }
            : v;
        })
      : list;
  const masked: Record<string, unknown> = {
    ...face,
    holders: maskOthers(face.holders),
    coOwners: maskOthers(face.coOwners),
    obligors: maskOthers(face.obligors),
  };
  const picked = fields?.length
    ? Object.fromEntries(Object.entries(masked).filter(([k]) => fields.includes(k) || k === 'kind'))
    : masked;
  await audit(deps, p, 'info', use, 'success', { certificate: c, ...meta, details: { fields: fields ?? 'all' } });
  return { summary: await summarise(deps, c), face: picked };
}

/** 下载: an annotated copy (加注件) sealed anew, saying for whom, why and until when (standards.md §9). */
export async function download(
  deps: SharingDeps,
  p: Institution,
  identifier: string,
  use: UseContext,
  institutionName: string,
  meta: CallMeta,
): Promise<{ ofd: Uint8Array; pdf: Uint8Array; expires: Date; summary: SharedSummary }> {
  const { ctx } = deps.issuance;
  const c = await visible(deps, p, identifier, use, 'download', meta);
  const now = ctx.now();
  const expires = new Date(now.getTime() + 30 * 86400_000);
  const seal = await activeSeal(deps.issuance.catalog, c.agency_id, now);
  const face = decryptFace(deps.issuance, c) as FaceData;
  const ymd = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  const note = `用证单位：${institutionName}；用证事由：${use.purpose}；业务编号：${use.caseNo}；加注时间：${ymd(now)}；有效期至：${ymd(expires)}；证照状态：${STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status}`;
  const r = await renderCertificate({
    face,
    seal,
    time: now,
    docId: `${c.identifier.replace(/[^0-9A-Z]/g, '').slice(-26)}JZ${now.getTime().toString(36).toUpperCase().slice(-4)}`,
    meta: {
      ZZBS: c.identifier,
      ZZBH: c.certificate_no,
      JZJZZSJ: now.toISOString(),
      JZJZZZ: institutionName,
      JZJZZSY: use.purpose,
      JZJYXQJZSJ: expires.toISOString(),
    },
    annotation: note,
  });
  await audit(deps, p, 'download', use, 'success', {
    certificate: c,
    ...meta,
    details: { expires: expires.toISOString() },
  });
  return { ofd: r.ofd, pdf: r.pdf, expires, summary: await summarise(deps, c) };
}

/** 信息验证: compares submitted face items with the record, item by item. */
export async function verifyFields(
  deps: SharingDeps,
  p: Institution,
  identifier: string,
  use: UseContext,
  submitted: Record<string, unknown>,
  meta: CallMeta,
): Promise<{ summary: SharedSummary; matches: Record<string, boolean>; allMatch: boolean }> {
  const c = await visible(deps, p, identifier, use, 'verify', meta);
  const face = decryptFace(deps.issuance, c) as unknown as Record<string, unknown>;
  const norm = (v: unknown) =>
    typeof v === 'string' ? v.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')') : JSON.stringify(v);
  const matches = Object.fromEntries(
    Object.entries(submitted).map(([k, v]) => [k, k in face && norm(face[k]) === norm(v)]),
  );
  const allMatch = Object.values(matches).every(Boolean);
  await audit(deps, p, 'verify', use, 'success', {
    certificate: c,
    ...meta,
    details: { fields: Object.keys(submitted), allMatch },
  });
  return { summary: await summarise(deps, c), matches, allMatch };
}

/** Public verification (issue 7 §4): the status and masked key facts behind a 查询二维码 token; no sign-in. */
export async function publicStatus(
  deps: SharingDeps,
  token: string,
  log?: (c: repo.CertificateRow) => void,
): Promise<(SharedSummary & { unitNo: string; sealedAt: string | null }) | undefined> {
  const c = await repo.findByToken(deps.issuance.ctx.store.db, token);
  if (!c || ['draft', 'pending-seal', 'rolled-back'].includes(c.status)) return undefined;
  log?.(c);
  const s = await summarise(deps, c);
  // Masked facts only: the location is cut to its first part so a QR photo does not reveal an address in full.
  return {
    ...s,
    location: `${[...c.location].slice(0, 6).join('')}……`,
    unitNo: `${c.unit_no.slice(0, 12)}****************`,
    sealedAt: c.sealed_at?.toISOString() ?? null,
  };
}

export async function verifyUploadedFile(deps: SharingDeps, bytes: Uint8Array): Promise<OfdVerification> {
  const { ctx } = deps.issuance;
  return verifyOfd(bytes, {
    trustedRoots: deps.issuance.catalog.sealCrypto.trustedRoots(),
    recordLookup: async (identifier) => {
      const c = await repo.findByIdentifier(ctx.store.db, identifier);
      return c
        ? {
            status: c.status,
            statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
            meta: { ZZBH: c.certificate_no },
          }
        : undefined;
    },
    sealLookup: async (esId) => {
      const s = (await catalogRepo.findSealByEsId(ctx.store.db, esId))[0];
      return s ? { status: s.status, ...(s.status !== 'active' ? { since: s.updated_at } : {}) } : undefined;
    },
  });
}
