import { renderCertificate } from '../../documents/render.js';
import { type OfdVerification, verifyOfd } from '../../documents/verify.js';
import type { Principal } from '../../domain/access.js';
import {
  ALTERNATIVE_PROOF_TYPE_CODE,
  type CertificateKind,
  DEFAULT_PROOF_TYPE_CODE,
  typeCodeOf,
} from '../../domain/catalog.js';
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

export type Institution = Extract<Principal, { kind: 'institution' }>;

export interface SharingDeps {
  readonly issuance: IssuanceDeps;
  /**
   * On a node with the province role: the other cities' certificates from the province library (Henan 三(一)7;
   * Sichuan Art. 12). A certificate this node does not hold itself is answered through it.
   */
  readonly federation?: FederatedSharing;
}

/** The four interfaces for certificates held by other nodes (src/modules/sync/province-sharing.ts). */
export interface FederatedSharing {
  search(p: Institution, use: UseContext, kind: string | undefined): Promise<SharedSummary[]>;
  info(
    p: Institution,
    identifier: string,
    use: UseContext,
    fields: readonly string[] | undefined,
    meta: CallMeta,
  ): Promise<{ summary: SharedSummary; face: Record<string, unknown> }>;
  download(
    p: Institution,
    identifier: string,
    use: UseContext,
    institutionName: string,
    meta: CallMeta,
  ): Promise<{ ofd: Uint8Array; pdf: Uint8Array; expires: Date; summary: SharedSummary }>;
  verifyFields(
    p: Institution,
    identifier: string,
    use: UseContext,
    submitted: Record<string, unknown>,
    meta: CallMeta,
  ): Promise<{ summary: SharedSummary; matches: Record<string, boolean>; allMatch: boolean }>;
}

/** Whether the agreement covers a certificate of this kind issued in this region (Sichuan Art. 16). */
export function kindInScope(p: Institution, kind: CertificateKind, agencyRegion: string, now: Date): boolean {
  if (p.validUntil.getTime() <= now.getTime()) return false;
  // An empty list of certificate types means the agreement covers both kinds.
  // Types may be named by our kind or by the catalog's 证照类型代码 (either proof code, standards.md §1.4).
  const names = [
    kind,
    typeCodeOf(kind),
    ...(kind === 'registration-proof' ? [DEFAULT_PROOF_TYPE_CODE, ALTERNATIVE_PROOF_TYPE_CODE] : []),
  ];
  if (p.certificateTypes.length && !names.some((n) => p.certificateTypes.includes(n))) return false;
  return p.regionCodes.some((r) => agencyRegion.startsWith(r));
}

function inScope(p: Institution, c: repo.CertificateRow, agencyRegion: string, now: Date): boolean {
  return kindInScope(p, c.kind, agencyRegion, now);
}

/** True when this node does not hold the certificate and the province library may (federated answer). */
async function elsewhere(deps: SharingDeps, identifier: string): Promise<boolean> {
  return !!deps.federation && !(await repo.findByIdentifier(deps.issuance.ctx.store.db, identifier.trim()));
}

export async function audit(
  deps: SharingDeps,
  p: Institution,
  action: string,
  use: UseContext,
  result: 'success' | 'denied' | 'error',
  extra: {
    certificate?: Pick<repo.CertificateRow, 'id' | 'agency_id'>;
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
  if (deps.federation) out.push(...(await deps.federation.search(p, use, kind)));
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
  if (await elsewhere(deps, identifier)) return deps.federation!.info(p, identifier, use, fields, meta);
  const c = await visible(deps, p, identifier, use, 'info', meta);
  const face = decryptFace(deps.issuance, c) as unknown as Record<string, unknown>;
  const picked = pickFields(maskOthers(deps.issuance.ctx.fieldCrypto, face, use.holderCode), fields);
  await audit(deps, p, 'info', use, 'success', { certificate: c, ...meta, details: { fields: fields ?? 'all' } });
  return { summary: await summarise(deps, c), face: picked };
}

/** Other people's ID numbers and names masked: an institution learns only its own holder's in full. */
export function maskOthers(
  fc: IssuanceDeps['ctx']['fieldCrypto'],
  face: Record<string, unknown>,
  holderCode: string,
): Record<string, unknown> {
  const holderKey = fc.index(holderCode);
  const mask = (list: unknown) =>
    Array.isArray(list)
      ? list.map((x) => {
          const v = x as { idNumber?: string; name?: string };
          return v.idNumber && fc.index(v.idNumber) !== holderKey
            ? { ...v, idNumber: maskIdNumber(v.idNumber), ...(v.name ? { name: maskName(v.name) } : {}) }
            : v;
        })
      : list;
  return { ...face, holders: mask(face.holders), coOwners: mask(face.coOwners), obligors: mask(face.obligors) };
}

export function pickFields(face: Record<string, unknown>, fields: readonly string[] | undefined) {
  return fields?.length
    ? Object.fromEntries(Object.entries(face).filter(([k]) => fields.includes(k) || k === 'kind'))
    : face;
}

/**
 * The annotated copy (加注件) of a certificate this node holds, sealed anew by its issuing agency, stating for whom,
 * why and until when (standards.md §9). Used by 下载 here and by the province's download routed to this node.
 */
export async function renderAnnotated(
  deps: SharingDeps,
  c: Pick<repo.CertificateRow, 'identifier' | 'certificate_no' | 'status' | 'agency_id'>,
  face: FaceData,
  use: Pick<UseContext, 'purpose' | 'caseNo'>,
  institutionName: string,
): Promise<{ ofd: Uint8Array; pdf: Uint8Array; expires: Date }> {
  const now = deps.issuance.ctx.now();
  const expires = new Date(now.getTime() + 30 * 86400_000);
  const seal = await activeSeal(deps.issuance.catalog, c.agency_id, now);
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
  return { ofd: r.ofd, pdf: r.pdf, expires };
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
  if (await elsewhere(deps, identifier)) return deps.federation!.download(p, identifier, use, institutionName, meta);
  const c = await visible(deps, p, identifier, use, 'download', meta);
  const r = await renderAnnotated(deps, c, decryptFace(deps.issuance, c), use, institutionName);
  const { expires } = r;
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
  if (await elsewhere(deps, identifier)) return deps.federation!.verifyFields(p, identifier, use, submitted, meta);
  const c = await visible(deps, p, identifier, use, 'verify', meta);
  const face = decryptFace(deps.issuance, c) as unknown as Record<string, unknown>;
  const { matches, allMatch } = compareFields(face, submitted);
  await audit(deps, p, 'verify', use, 'success', {
    certificate: c,
    ...meta,
    details: { fields: Object.keys(submitted), allMatch },
  });
  return { summary: await summarise(deps, c), matches, allMatch };
}

/** What the public page needs of a certificate: the row's display columns, never the face data. */
export type PublicRow = Pick<
  repo.CertificateRow,
  | 'id'
  | 'agency_id'
  | 'kind'
  | 'status'
  | 'identifier'
  | 'certificate_no'
  | 'registered_on'
  | 'location'
  | 'holder_display'
  | 'unit_no'
  | 'sealed_at'
  | 'verify_token'
>;

/**
 * The public lookup, the hottest read of the platform (every scan of a 查询二维码): a named prepared statement, so it
 * is parsed and planned once per connection rather than on every hit (Kysely cannot name a statement, hence the pool),
 * reading only the display columns (the row's few KB of face ciphertext stay in the database), for any number of
 * tokens at once. bench/verify runs the single-token form of this statement in pgbench as its baseline.
 */
export const PUBLIC_LOOKUP = {
  name: 'bdcert.verify.public-lookup',
  text: `select id, agency_id, kind, status, identifier, certificate_no, registered_on, location, holder_display, unit_no,
    sealed_at, verify_token from certificates where verify_token = any($1::text[])`,
} as const;

interface Waiting {
  readonly token: string;
  readonly resolve: (row: PublicRow | undefined) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Groups public lookups: the tokens asked for in one turn of the event loop go to the database as one statement.
 * Under load many scans arrive together, and one round trip then serves all of them — the database does one executor
 * run instead of one per scan, and this process one write and one read instead of one per scan. A lone lookup waits
 * for nothing: its batch leaves as soon as the current I/O callbacks have run (setImmediate).
 */
export class PublicLookup {
  private queue: Waiting[] = [];
  constructor(
    private readonly deps: SharingDeps,
    private readonly maxBatch = 100,
  ) {}

  find(token: string): Promise<PublicRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ token, resolve, reject }) === 1) setImmediate(() => this.send());
    });
  }

  private send(): void {
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += this.maxBatch) void this.query(all.slice(i, i + this.maxBatch));
  }

  private async query(batch: readonly Waiting[]): Promise<void> {
    try {
      const r = await this.deps.issuance.ctx.store.pool.query<PublicRow>({
        ...PUBLIC_LOOKUP,
        values: [batch.map((w) => w.token)],
      });
      const rows = new Map(r.rows.map((row) => [row.verify_token, row]));
      for (const w of batch) w.resolve(rows.get(w.token));
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}

/**
 * Issuer names for the public page, kept in memory: agencies are reference data (a handful of rows, renamed almost
 * never), and one lookup per scan would double the page's database work. A renamed agency shows its new name after
 * `ttlMs` at most.
 */
export class IssuerNames {
  private readonly names = new Map<string, { name: string; until: number }>();
  constructor(
    private readonly deps: SharingDeps,
    private readonly ttlMs = 60_000,
  ) {}

  /** The name if it is known and fresh (no await on the hot path). */
  cached(agencyId: string): string | undefined {
    const hit = this.names.get(agencyId);
    return hit && hit.until > Date.now() ? hit.name : undefined;
  }

  async get(agencyId: string): Promise<string> {
    const now = Date.now();
    const hit = this.names.get(agencyId);
    if (hit && hit.until > now) return hit.name;
    const agency = await catalogRepo.findAgency(this.deps.issuance.ctx.store.db, agencyId);
    const name = agency?.name ?? '';
    // An unknown id is not cached: the agency may be inserted in the same transaction as its first certificate.
    if (agency) this.names.set(agencyId, { name, until: now + this.ttlMs });
    return name;
  }
}

export type PublicStatus = SharedSummary & { unitNo: string; sealedAt: string | null };

/** What public verification keeps between requests: the grouped lookup and the issuer names. */
export class PublicReads {
  readonly lookup: PublicLookup;
  readonly issuers: IssuerNames;
  constructor(deps: SharingDeps, issuerTtlMs?: number) {
    this.lookup = new PublicLookup(deps);
    this.issuers = new IssuerNames(deps, issuerTtlMs);
  }
}

/** 信息验证's item-by-item comparison (spaces and full-width brackets do not count). */
export function compareFields(
  face: Record<string, unknown>,
  submitted: Record<string, unknown>,
): { matches: Record<string, boolean>; allMatch: boolean } {
  const norm = (v: unknown) =>
    typeof v === 'string' ? v.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')') : JSON.stringify(v);
  const matches = Object.fromEntries(
    Object.entries(submitted).map(([k, v]) => [k, k in face && norm(face[k]) === norm(v)]),
  );
  return { matches, allMatch: Object.values(matches).every(Boolean) };
}

/** States a certificate is in before it exists for the public: answered like an unknown token. */
const NOT_PUBLIC: ReadonlySet<string> = new Set(['draft', 'pending-seal', 'rolled-back']);

/** Public verification (issue 7 §4): the status and masked key facts behind a 查询二维码 token; no sign-in. */
export async function publicStatus(
  deps: SharingDeps,
  token: string,
  log?: (c: PublicRow) => void,
  reads: PublicReads = new PublicReads(deps, 0),
): Promise<PublicStatus | undefined> {
  const c = await reads.lookup.find(token);
  if (!c || NOT_PUBLIC.has(c.status)) return undefined;
  log?.(c);
  // Masked facts only: the location is cut to its first part so a QR photo does not reveal an address in full.
  return {
    identifier: c.identifier,
    certificateNo: c.certificate_no,
    kind: c.kind,
    status: c.status,
    statusName: STATUS_NAMES[c.status as CertificateStatus]?.zh ?? c.status,
    issuer: reads.issuers.cached(c.agency_id) ?? (await reads.issuers.get(c.agency_id)),
    registeredOn: c.registered_on,
    location: `${[...c.location].slice(0, 6).join('')}……`,
    holders: c.holder_display,
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
