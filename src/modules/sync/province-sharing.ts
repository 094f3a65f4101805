import { z } from 'zod';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';
import type { FaceData } from '../../domain/face-data.js';
import { type CertificateStatus, STATUS_NAMES } from '../../domain/lifecycle.js';
import { DomainError } from '../../domain/problem.js';
import { ApiError } from '../../http/errors.js';
import { recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import * as issuanceRepo from '../issuance/repository.js';
import { decryptFace } from '../issuance/service.js';
import {
  audit,
  type CallMeta,
  compareFields,
  type FederatedSharing,
  type Institution,
  kindInScope,
  maskOthers,
  pickFields,
  renderAnnotated,
  type SharedSummary,
  type SharingDeps,
  type UseContext,
} from '../sharing/service.js';
import * as library from './library.js';
import {
  publicKeyOf,
  type SignedRequest,
  SignedResponse,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
} from './protocol.js';
import * as repo from './repository.js';

/**
 * Province-wide sharing (Henan 三(一)7: 跨层级、跨地区证照应用服务; Sichuan Art. 12, 16). On a node with the province
 * role the four C0124 interfaces answer for the whole province: search, information and verification from the
 * library (same agreement scope, same holder limit, same audit); a download is routed to the owning city, which
 * makes its annotated copy (加注件) sealed by the issuing agency, exactly as for its own institutions. Both nodes audit
 * their hop: the province the institution's call, the city the province's call on the institution's behalf.
 */
export const NODE_DOWNLOAD_PATH = '/api/v1/sync/node/download';
const HIDDEN = ['draft', 'pending-seal', 'rolled-back'];

export interface FederationDeps {
  readonly sharing: SharingDeps;
  readonly signer: Sm2Signer;
  readonly timeoutMs?: number;
}

export function provinceFederation(deps: FederationDeps): FederatedSharing {
  const { ctx } = deps.sharing.issuance;
  const self = ctx.config.sync.nodeId;
  const fc = ctx.fieldCrypto;

  const summaryOf = (
    r: library.LibraryCertificateRow,
    agency: library.LibraryAgencyRow | undefined,
  ): SharedSummary => ({
    identifier: r.identifier,
    certificateNo: r.certificate_no,
    kind: r.kind,
    status: r.status,
    statusName: STATUS_NAMES[r.status as CertificateStatus]?.zh ?? r.status,
    issuer: agency?.name ?? '',
    registeredOn: r.registered_on,
    location: r.location,
    holders: r.holder_display,
  });

  /** The library row when the institution may see it for this holder; otherwise audited and NOT_FOUND. */
  const visible = async (p: Institution, identifier: string, use: UseContext, action: string, meta: CallMeta) => {
    const row = await library.findCertificate(ctx.store.db, identifier.trim());
    const agency = row ? await library.findAgency(ctx.store.db, row.agency_uscc) : undefined;
    const ok =
      !!row &&
      !!agency &&
      row.node_id !== self &&
      row.holder_keys.includes(fc.index(use.holderCode)) &&
      kindInScope(p, row.kind, agency.region_code, ctx.now()) &&
      !HIDDEN.includes(row.status);
    if (!ok) {
      await audit(deps.sharing, p, action, use, 'denied', {
        reason: 'NOT_FOUND_OR_NOT_HOLDER',
        ...meta,
        details: { identifier, scope: 'province' },
      });
      throw new DomainError('NOT_FOUND', '未找到该持证主体的证照', 'No such certificate for that holder', 'identifier');
    }
    return { row: row!, agency: agency! };
  };
  // The audit row of a library certificate names the library's ids (this node has no certificates row for it).
  const target = (row: library.LibraryCertificateRow, agency: library.LibraryAgencyRow) => ({
    id: row.id,
    agency_id: agency.id,
  });

  return {
    async search(p, use, kind) {
      const rows = await library.ofHolder(ctx.store.db, fc.index(use.holderCode), self);
      const out: SharedSummary[] = [];
      for (const r of rows) {
        if (kind && r.kind !== kind) continue;
        const agency = await library.findAgency(ctx.store.db, r.agency_uscc);
        if (agency && kindInScope(p, r.kind, agency.region_code, ctx.now())) out.push(summaryOf(r, agency));
      }
      return out;
    },

    async info(p, identifier, use, fields, meta) {
      const { row, agency } = await visible(p, identifier, use, 'info', meta);
      const face = JSON.parse(fc.decrypt(row.face_enc)) as Record<string, unknown>;
      const picked = pickFields(maskOthers(fc, face, use.holderCode), fields);
      await audit(deps.sharing, p, 'info', use, 'success', {
        certificate: target(row, agency),
        ...meta,
        details: { fields: fields ?? 'all', node: row.node_id, source: 'province-library' },
      });
      return { summary: summaryOf(row, agency), face: picked };
    },

    async verifyFields(p, identifier, use, submitted, meta) {
      const { row, agency } = await visible(p, identifier, use, 'verify', meta);
      const face = JSON.parse(fc.decrypt(row.face_enc)) as Record<string, unknown>;
      const { matches, allMatch } = compareFields(face, submitted);
      await audit(deps.sharing, p, 'verify', use, 'success', {
        certificate: target(row, agency),
        ...meta,
        details: { fields: Object.keys(submitted), allMatch, node: row.node_id, source: 'province-library' },
      });
      return { summary: summaryOf(row, agency), matches, allMatch };
    },

    async download(p, identifier, use, institutionName, meta) {
      const { row, agency } = await visible(p, identifier, use, 'download', meta);
      const peer = await repo.findPeer(ctx.store.db, row.node_id);
      try {
        if (!peer?.base_url || peer.revoked_at) throw new Error(`node ${row.node_id} has no address`);
        const req = await signRequest(
          deps.signer,
          self,
          NODE_DOWNLOAD_PATH,
          {
            identifier: row.identifier,
            purpose: use.purpose,
            caseNo: use.caseNo,
            holderCode: use.holderCode,
            holderCodeType: use.holderCodeType,
            institution: { clientId: p.clientId, name: institutionName, agreementNo: p.agreementNo },
          },
          ctx.now(),
        );
        const res = await fetch(`${peer.base_url}${NODE_DOWNLOAD_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-bdcert-node': self },
          body: JSON.stringify(req),
          signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`city ${row.node_id}: HTTP ${res.status} ${text.slice(0, 200)}`);
        const answer = SignedResponse.parse(JSON.parse(text));
        if (answer.node !== row.node_id || !verifyResponse(answer, publicKeyOf(peer.public_key_hex)))
          throw new Error(`city ${row.node_id}: answer not signed by its enrolled key`);
        const f = FileAnswer.parse(answer.payload);
        const ofd = new Uint8Array(Buffer.from(f.ofd, 'base64'));
        const pdf = new Uint8Array(Buffer.from(f.pdf, 'base64'));
        if (sm3Hex(ofd) !== f.ofdSm3 || sm3Hex(pdf) !== f.pdfSm3) throw new Error('file digest mismatch');
        const expires = new Date(f.expires);
        await audit(deps.sharing, p, 'download', use, 'success', {
          certificate: target(row, agency),
          ...meta,
          details: { expires: f.expires, node: row.node_id, via: 'owning-city', ofdSm3: f.ofdSm3 },
        });
        return { ofd, pdf, expires, summary: summaryOf(row, agency) };
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        await audit(deps.sharing, p, 'download', use, 'error', {
          certificate: target(row, agency),
          reason: 'OWNER_UNAVAILABLE',
          ...meta,
          details: { node: row.node_id },
        });
        ctx.log.warn({ node: row.node_id, err: msg }, 'sync: download from the owning city failed');
        throw new ApiError(
          'NOT_READY',
          '证照所属市级电子证照系统暂不可用，请稍后再试',
          'The owning city system is unavailable; try again later',
        );
      }
    },
  };
}

const FileAnswer = z.object({
  ofd: z.string(),
  pdf: z.string(),
  ofdSm3: z.string(),
  pdfSm3: z.string(),
  expires: z.iso.datetime(),
});

const NodeDownloadPayload = z.object({
  identifier: z.string().min(20).max(200),
  purpose: z.string().min(2).max(200),
  caseNo: z.string().min(1).max(64),
  holderCode: z.string().min(1).max(50),
  holderCodeType: z.string().regex(/^\d{3}$/),
  institution: z.object({
    clientId: z.string().min(1).max(100),
    name: z.string().min(1).max(200),
    agreementNo: z.string().min(1).max(100),
  }),
});

/**
 * City side of a routed download: the province (its enrolled key, a fresh nonce) asks, on behalf of a named
 * institution, for the annotated copy of one of this city's certificates for one holder. The city checks the holder
 * itself, renders the copy sealed by the issuing agency and audits the call as the province's on that institution's
 * behalf (with purpose and case number), then answers signed.
 */
export async function answerNodeDownload(
  deps: { sharing: SharingDeps; signer: Sm2Signer },
  req: SignedRequest,
  meta: { ip?: string; requestId?: string } = {},
): Promise<SignedResponse> {
  const { ctx } = deps.sharing.issuance;
  const db = ctx.store.db;
  const now = ctx.now();
  const relay = await repo.getRelay(db);
  if (!relay?.province_node_id || !relay.province_public_key || req.node !== relay.province_node_id)
    throw new ApiError('UNAUTHENTICATED', '请求方不是本节点注册的省级节点', 'Not this node’s province', 'node');
  const bad = verifyRequest(NODE_DOWNLOAD_PATH, req, publicKeyOf(relay.province_public_key), now);
  if (bad) throw new ApiError('UNAUTHENTICATED', '请求签名无效或已过期', `Request refused: ${bad}`, 'signature');
  if (!(await repo.claimNonce(db, req.node, req.nonce, new Date(Date.parse(req.at) + 10 * 60_000), now)))
    throw new ApiError('UNAUTHENTICATED', '重复的请求', 'Replayed request', 'nonce');
  const parsed = NodeDownloadPayload.safeParse(req.payload);
  if (!parsed.success) throw new ApiError('VALIDATION_FAILED', '请求数据格式错误', 'Malformed request payload');
  const b = parsed.data;
  const holderKey = ctx.fieldCrypto.index(b.holderCode);
  const c = await issuanceRepo.findByIdentifier(db, b.identifier);
  const agency = c ? await catalogRepo.findAgency(db, c.agency_id) : undefined;
  const actor = { kind: 'system' as const, id: `node:${req.node}`, clientId: b.institution.clientId };
  const base = {
    actor,
    action: 'share.download',
    holderKey,
    purpose: b.purpose,
    caseNo: b.caseNo,
    ...(meta.ip ? { ip: meta.ip } : {}),
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
  };
  const details = {
    via: req.node,
    institution: b.institution.name,
    clientId: b.institution.clientId,
    agreementNo: b.institution.agreementNo,
  };
  if (!c || !agency || !c.holder_keys.includes(holderKey) || HIDDEN.includes(c.status)) {
    await recordAudit(db, {
      ...base,
      result: 'denied',
      reason: 'NOT_FOUND_OR_NOT_HOLDER',
      details: { ...details, identifier: b.identifier },
    });
    throw new ApiError('NOT_FOUND', '未找到该持证主体的证照', 'No such certificate for that holder', 'identifier');
  }
  const r = await renderAnnotated(
    deps.sharing,
    c,
    decryptFace(deps.sharing.issuance, c) as FaceData,
    b,
    b.institution.name,
  );
  await recordAudit(db, {
    ...base,
    objectType: 'certificate',
    objectId: c.id,
    certificateId: c.id,
    issuingAgencyId: c.agency_id,
    result: 'success',
    details: { ...details, expires: r.expires.toISOString() },
  });
  return signResponse(
    deps.signer,
    ctx.config.sync.nodeId,
    {
      ofd: Buffer.from(r.ofd).toString('base64'),
      pdf: Buffer.from(r.pdf).toString('base64'),
      ofdSm3: sm3Hex(r.ofd),
      pdfSm3: sm3Hex(r.pdf),
      expires: r.expires.toISOString(),
    },
    now,
  );
}
