import { z } from 'zod';
import { sm3Hex } from '../../crypto/sm3.js';
import { type CatalogConfig, type CertificateKind, catalogEntry } from '../../domain/catalog.js';
import type { FaceData } from '../../domain/face-data.js';
import { faceToItems } from '../../domain/face-items.js';
import { type CertificateStatus, catalogStatusOf } from '../../domain/lifecycle.js';
import { inRegions } from '../../domain/sync.js';
import type { Store } from '../../store/database.js';
import type { AgencyRow, SealRow } from '../catalog/repository.js';
import * as catalogRepo from '../catalog/repository.js';
import type { FieldCrypto } from '../context.js';
import type { CertificateRow } from '../issuance/repository.js';
import * as issuanceRepo from '../issuance/repository.js';
import type { MessageType } from './protocol.js';
import type { OutboundRow } from './repository.js';

/**
 * What a city sends for each object: its *full current state*, read when the message is built (Henan 三(一)6: 目录
 * 信息、照面信息). A certificate carries its 附件1 catalog items, its 附件2 face items, status, the SM3 digests of its
 * files (the files themselves stay with the city) and its identifier version; so any one message is enough to
 * create or update the province's row, and resending converges.
 */
const LEVEL_NAMES: Record<AgencyRow['level'], '国家级' | '省级' | '市级' | '县级'> = {
  national: '国家级',
  province: '省级',
  city: '市级',
  county: '县级',
};

export const AgencyState = z.object({
  uscc: z.string().min(6).max(18),
  name: z.string().min(1).max(200),
  regionCode: z.string().regex(/^\d{6}$/),
  level: z.enum(['national', 'province', 'city', 'county']),
});
export type AgencyState = z.infer<typeof AgencyState>;

export const SealState = z.object({
  sealId: z.string().min(1).max(64),
  esId: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  status: z.enum(['active', 'suspended', 'revoked']),
  validFrom: z.iso.datetime(),
  validTo: z.iso.datetime(),
  filingNo: z.string().nullable(),
  sealSm3: z.string().regex(/^[0-9a-f]{64}$/),
  agency: AgencyState,
});
export type SealState = z.infer<typeof SealState>;

const Sm3OrNull = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .nullable();

export const CertificateState = z.object({
  identifier: z.string().min(20).max(200),
  kind: z.enum(['property-certificate', 'registration-proof']),
  version: z.number().int().min(1).max(999),
  certificateNo: z.string().min(1).max(100),
  status: z.enum([
    'draft',
    'pending-seal',
    'issued',
    'suspended',
    'superseded',
    'cancelled',
    'revoked',
    'voided',
    'rolled-back',
  ]),
  catalogStatus: z.union([z.literal(11), z.literal(-2)]),
  collected: z.boolean(),
  pledged: z.boolean(),
  matter: z.string().nullable(),
  unitNo: z.string().min(1).max(60),
  location: z.string().min(1).max(500),
  registeredOn: z.string().regex(/^\d{8}$/),
  statusReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  sealedAt: z.iso.datetime().nullable(),
  catalog: z.record(z.string(), z.unknown()),
  face: z.record(z.string(), z.unknown()),
  agency: AgencyState,
  seal: z.object({ esId: z.string(), name: z.string() }).nullable(),
  files: z.object({ ofdSm3: Sm3OrNull, pdfSm3: Sm3OrNull, cancelledOfdSm3: Sm3OrNull, cancelledPdfSm3: Sm3OrNull }),
  verifyTokenSm3: z.string().regex(/^[0-9a-f]{64}$/),
  predecessor: z.string().nullable(),
});
export type CertificateState = z.infer<typeof CertificateState>;

export function agencyState(a: AgencyRow): AgencyState {
  return { uscc: a.uscc, name: a.name, regionCode: a.region_code, level: a.level };
}

/** 附件1 catalog items of the certificate (fixed values plus the agency's). */
export function catalogItems(
  kind: CertificateKind,
  status: CertificateStatus,
  a: AgencyRow,
  cfg: CatalogConfig,
): Record<string, unknown> {
  const { kind: _k, ...fixed } = catalogEntry(kind, cfg, catalogStatusOf(status));
  return {
    ...fixed,
    登记机构名称: a.name,
    登记机构代码: a.uscc,
    登记机构行政区划代码: a.region_code,
    登记机构级别: LEVEL_NAMES[a.level],
  };
}

export function certificateState(
  c: CertificateRow,
  face: FaceData,
  a: AgencyRow,
  seal: SealRow | undefined,
  predecessor: string | null,
  cfg: CatalogConfig,
): CertificateState {
  const status = c.status as CertificateStatus;
  return {
    identifier: c.identifier,
    kind: c.kind,
    version: c.version,
    certificateNo: c.certificate_no,
    status,
    catalogStatus: catalogStatusOf(status),
    collected: c.collected,
    pledged: c.pledged,
    matter: c.matter,
    unitNo: c.unit_no,
    location: c.location,
    registeredOn: c.registered_on,
    statusReason: c.status_reason,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    sealedAt: c.sealed_at?.toISOString() ?? null,
    catalog: catalogItems(c.kind, status, a, cfg),
    face: faceToItems(c.kind, face as unknown as Record<string, unknown>),
    agency: agencyState(a),
    seal: seal ? { esId: seal.es_id, name: seal.name } : null,
    // Blob ids are the SM3 of the bytes (content-addressed store), so they are the files' digests.
    files: {
      ofdSm3: c.ofd_blob,
      pdfSm3: c.pdf_blob,
      cancelledOfdSm3: c.cancelled_ofd_blob,
      cancelledPdfSm3: c.cancelled_pdf_blob,
    },
    verifyTokenSm3: sm3Hex(c.verify_token),
    predecessor,
  };
}

export function sealState(s: SealRow, a: AgencyRow): SealState {
  return {
    sealId: s.id,
    esId: s.es_id,
    name: s.name,
    status: s.status,
    validFrom: s.valid_from.toISOString(),
    validTo: s.valid_to.toISOString(),
    filingNo: s.filing_no,
    sealSm3: sm3Hex(s.seal_der),
    agency: agencyState(a),
  };
}

export interface BuiltMessage {
  readonly type: MessageType;
  readonly id: string;
  readonly payload: Record<string, unknown>;
}

export interface StateDeps {
  readonly store: Store;
  readonly fieldCrypto: FieldCrypto;
  readonly catalogConfig: CatalogConfig;
}

/**
 * Builds the message for one outbound row from the current database state. An object outside the enrolled regions
 * (or gone) becomes a `noop`, which keeps the sequence gap-free without sending anything the province may not hold.
 */
export async function buildMessage(
  deps: StateDeps,
  row: OutboundRow,
  regions: readonly string[],
  cache: Map<string, BuiltMessage>,
): Promise<BuiltMessage> {
  const key = `${row.aggregate_type}:${row.aggregate_id}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const db = deps.store.db;
  const noop = (reason: string): BuiltMessage => ({ type: 'noop', id: row.aggregate_id, payload: { reason } });
  let built: BuiltMessage;
  if (row.aggregate_type === 'certificate') {
    const c = await issuanceRepo.findCertificate(db, row.aggregate_id);
    const a = c ? await catalogRepo.findAgency(db, c.agency_id) : undefined;
    if (!c || !a) built = noop('not-found');
    else if (!inRegions(a.region_code, regions)) built = noop('out-of-region');
    else {
      const face = JSON.parse(deps.fieldCrypto.decrypt(c.face_enc)) as FaceData;
      const seal = c.seal_id ? await catalogRepo.findSeal(db, c.seal_id) : undefined;
      const pred = c.predecessor_id ? await issuanceRepo.findCertificate(db, c.predecessor_id) : undefined;
      const state = certificateState(c, face, a, seal, pred?.identifier ?? null, deps.catalogConfig);
      built = { type: 'certificate.state', id: c.identifier, payload: state };
    }
  } else if (row.aggregate_type === 'seal') {
    const s = await catalogRepo.findSeal(db, row.aggregate_id);
    const a = s ? await catalogRepo.findAgency(db, s.agency_id) : undefined;
    if (!s || !a) built = noop('not-found');
    else if (!inRegions(a.region_code, regions)) built = noop('out-of-region');
    else built = { type: 'seal.state', id: s.id, payload: sealState(s, a) };
  } else if (row.aggregate_type === 'agency') {
    const a = await catalogRepo.findAgency(db, row.aggregate_id);
    if (!a) built = noop('not-found');
    else if (!inRegions(a.region_code, regions)) built = noop('out-of-region');
    else built = { type: 'agency.state', id: a.uscc, payload: agencyState(a) };
  } else built = noop('not-synchronised');
  cache.set(key, built);
  return built;
}
