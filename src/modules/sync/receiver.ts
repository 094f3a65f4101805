import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Sm2PublicKey } from '../../crypto/sm2.js';
import { FaceData } from '../../domain/face-data.js';
import { itemsToFace } from '../../domain/face-items.js';
import { cstDay, inRegions } from '../../domain/sync.js';
import { ApiError } from '../../http/errors.js';
import type { Database } from '../../store/schema.js';
import { recordAudit } from '../audit/audit.js';
import type { ServiceContext } from '../context.js';
import { maskName } from '../privacy/mask.js';
import * as library from './library.js';
import { type Envelope, publicKeyOf, verifyEnvelope } from './protocol.js';
import * as repo from './repository.js';
import { AgencyState, CertificateState, SealState } from './state.js';
import type { InboundOutcome, PeerKind } from './tables.js';

/**
 * Receiving a batch of envelopes from an enrolled peer (a city at the province — Henan 三(一)6; a self-built agency
 * system at the city — 三(二)2). The skeleton is the same for both:
 *
 * 1. the peer must be enrolled with that kind; every envelope is checked against its registered SM2 key — a message
 *    with a bad digest or signature is refused and *not* recorded (it may be forged), so the ack stops below it;
 * 2. (peer, seq) is the idempotency key: a message seen before is a duplicate and changes nothing;
 * 3. each new message is prepared outside the transaction (parsing, validation, crypto) and committed inside one
 *    transaction per batch, in seq order; a semantic refusal is recorded as `rejected` with its reason, so the
 *    stream moves on and the refusal is visible in the status;
 * 4. the answer is the highest contiguous seq recorded for the peer: the sender resumes from there.
 */
export interface ReceiveDeps {
  readonly ctx: ServiceContext;
}

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly messageEn: string;
  readonly field?: string;
}

export type Prepared<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

export interface MessageResult {
  readonly seq: string;
  readonly outcome: InboundOutcome | 'duplicate' | 'refused';
  readonly error?: Refusal;
}

export interface BatchResult {
  readonly ack: string;
  readonly results: MessageResult[];
}

export interface Applier<T> {
  readonly peerKind: PeerKind;
  /** Parse and check one message (no writes). */
  prepare(peer: repo.PeerRow, e: Envelope): Promise<Prepared<T>>;
  /** Write it, inside the batch transaction; returns `applied`, `stale` (older than what is held) or a refusal. */
  commit(trx: Transaction<Database>, peer: repo.PeerRow, e: Envelope, value: T): Promise<InboundOutcome | Refusal>;
  /** The audit action of a batch, e.g. `sync.receive`. */
  readonly auditAction: string;
}

const keyCache = new Map<string, Sm2PublicKey>();
function keyOf(hex: string): Sm2PublicKey {
  let k = keyCache.get(hex);
  if (!k) {
    k = publicKeyOf(hex);
    keyCache.set(hex, k);
  }
  return k;
}

export const refusal = (code: string, message: string, messageEn: string, field?: string): Refusal =>
  field ? { code, message, messageEn, field } : { code, message, messageEn };

export async function receiveBatch<T>(
  deps: ReceiveDeps,
  applier: Applier<T>,
  nodeId: string,
  messages: readonly Envelope[],
  meta: { ip?: string; requestId?: string } = {},
): Promise<BatchResult> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const peer = await repo.findPeer(db, nodeId);
  if (!peer || peer.revoked_at || peer.kind !== applier.peerKind) {
    throw new ApiError(
      'UNAUTHENTICATED',
      '发送方未注册或已注销',
      'The sender is not enrolled (or was revoked)',
      'node',
    );
  }
  const key = keyOf(peer.public_key_hex);
  const results: MessageResult[] = [];
  const valid: Envelope[] = [];
  for (const m of [...messages].sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))) {
    const bad =
      m.node !== nodeId
        ? 'BAD_NODE'
        : valid.some((v) => v.seq === m.seq)
          ? 'DUPLICATE_IN_BATCH'
          : verifyEnvelope(m, key);
    if (bad) {
      results.push({
        seq: m.seq,
        outcome: 'refused',
        error: refusal(bad, '消息签名或摘要校验失败，未接收', 'Message signature or digest invalid; not accepted'),
      });
    } else valid.push(m);
  }
  const now = ctx.now();
  const seen = await repo.existingSeqs(
    db,
    nodeId,
    valid.map((m) => m.seq),
  );
  const fresh = valid.filter((m) => !seen.has(m.seq));
  for (const m of valid) if (seen.has(m.seq)) results.push({ seq: m.seq, outcome: 'duplicate' });
  const prepared: { e: Envelope; p: Prepared<T> }[] = [];
  for (const e of fresh) prepared.push({ e, p: await applier.prepare(peer, e) });

  const ack = await db.transaction().execute(async (trx) => {
    const locked = await repo.lockPeer(trx, nodeId);
    if (!locked) throw new ApiError('UNAUTHENTICATED', '发送方未注册', 'The sender is not enrolled', 'node');
    // Another request of the same peer may have recorded some of them meanwhile: re-check under the lock.
    const again = await repo.existingSeqs(
      trx,
      nodeId,
      prepared.map((x) => x.e.seq),
    );
    const rows: Parameters<typeof repo.insertInbound>[1][number][] = [];
    let lastError: string | undefined;
    const counts = { applied: 0, stale: 0, skipped: 0, rejected: 0 };
    for (const { e, p } of prepared) {
      if (again.has(e.seq)) {
        results.push({ seq: e.seq, outcome: 'duplicate' });
        continue;
      }
      let outcome: InboundOutcome;
      let error: Refusal | undefined;
      if (!p.ok) {
        outcome = 'rejected';
        error = p.refusal;
      } else {
        const r = await applier.commit(trx, locked, e, p.value);
        if (typeof r === 'string') outcome = r;
        else {
          outcome = 'rejected';
          error = r;
        }
      }
      counts[outcome]++;
      if (error) lastError = `seq ${e.seq}: ${error.code} ${error.messageEn}`;
      rows.push({
        peer_id: nodeId,
        seq: e.seq,
        type: e.type,
        ref: e.id.slice(0, 200),
        outcome,
        error: error ? JSON.stringify(error) : null,
        event_at: new Date(e.at),
      });
      results.push(error ? { seq: e.seq, outcome, error } : { seq: e.seq, outcome });
    }
    await repo.insertInbound(trx, rows);
    const acked = await repo.contiguousFrom(trx, nodeId, locked.acked_seq);
    const maxSeq = rows.reduce((mx, r) => (BigInt(r.seq) > BigInt(mx) ? r.seq : mx), locked.max_seq);
    const lastEventAt = rows.length ? new Date(Math.max(...rows.map((r) => r.event_at.getTime()))) : null;
    await repo.updatePeerAfterBatch(trx, nodeId, {
      acked,
      maxSeq,
      at: now,
      lastEventAt,
      received: rows.length,
      duplicates: messages.length - rows.length - results.filter((r) => r.outcome === 'refused').length,
      rejected: counts.rejected + results.filter((r) => r.outcome === 'refused').length,
      ...(lastError ? { lastError } : {}),
    });
    if (rows.length) {
      // Sichuan Art. 17: a log of every collection (归集) into the library — one entry per batch.
      await recordAudit(trx, {
        actor: { kind: 'system', id: `node:${nodeId}` },
        action: applier.auditAction,
        objectType: 'sync-peer',
        objectId: nodeId,
        result: 'success',
        ...(meta.ip ? { ip: meta.ip } : {}),
        ...(meta.requestId ? { requestId: meta.requestId } : {}),
        details: { from: rows[0]!.seq, to: rows.at(-1)!.seq, ...counts, ack: acked },
      });
    }
    return acked;
  });
  const refused = results.filter((r) => r.outcome === 'refused');
  if (refused.length) {
    await repo.notePeerError(db, nodeId, `seq ${refused[0]!.seq}: ${refused[0]!.error?.code}`, now);
    ctx.log.warn({ peer: nodeId, refused: refused.length, first: refused[0]!.seq }, 'sync: refused messages');
  }
  results.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  return { ack, results };
}

// ---------------------------------------------------------------- province library applier

type LibraryValue =
  | { readonly kind: 'certificate'; readonly state: CertificateState; readonly face: FaceData }
  | { readonly kind: 'seal'; readonly state: SealState }
  | { readonly kind: 'agency'; readonly state: AgencyState }
  | { readonly kind: 'noop' };

const outOfRegion = (code: string) =>
  refusal(
    'OUT_OF_REGION',
    `登记机构行政区划 ${code} 不在该节点注册的辖区内`,
    `Agency region ${code} is outside the node's enrolled regions`,
    'agency.regionCode',
  );

function firstIssue(e: { issues: { path: PropertyKey[]; message: string }[] }, prefix: string): Refusal {
  const i = e.issues[0];
  const field = [prefix, ...(i?.path ?? []).map(String)].filter(Boolean).join('.');
  const [zh, en] = (i?.message ?? '格式错误||invalid').split('||');
  return refusal('INVALID_STATE', `${field}：${zh}`, `${field}: ${en ?? zh}`, field);
}

/**
 * The province library: certificate, seal and agency states from enrolled cities, each applied only if newer than
 * what is held (a higher seq of the owning node), only within the node's regions, and never over another node's row.
 */
export function libraryApplier(deps: ReceiveDeps): Applier<LibraryValue> {
  const fc = deps.ctx.fieldCrypto;
  return {
    peerKind: 'city',
    auditAction: 'sync.receive',
    async prepare(peer, e) {
      const regions = peer.region_codes;
      if (e.type === 'noop') return { ok: true, value: { kind: 'noop' } };
      if (e.type === 'agency.state') {
        const s = AgencyState.safeParse(e.payload);
        if (!s.success) return { ok: false, refusal: firstIssue(s.error, 'agency') };
        if (!inRegions(s.data.regionCode, regions)) return { ok: false, refusal: outOfRegion(s.data.regionCode) };
        return { ok: true, value: { kind: 'agency', state: s.data } };
      }
      if (e.type === 'seal.state') {
        const s = SealState.safeParse(e.payload);
        if (!s.success) return { ok: false, refusal: firstIssue(s.error, 'seal') };
        if (!inRegions(s.data.agency.regionCode, regions))
          return { ok: false, refusal: outOfRegion(s.data.agency.regionCode) };
        return { ok: true, value: { kind: 'seal', state: s.data } };
      }
      const s = CertificateState.safeParse(e.payload);
      if (!s.success) return { ok: false, refusal: firstIssue(s.error, 'certificate') };
      const st = s.data;
      if (st.identifier !== e.id)
        return {
          ok: false,
          refusal: refusal('IDENTIFIER_MISMATCH', '消息标识与证照标识不一致', 'Envelope id differs', 'identifier'),
        };
      if (!inRegions(st.agency.regionCode, regions)) return { ok: false, refusal: outOfRegion(st.agency.regionCode) };
      const decoded = itemsToFace(st.kind, st.face);
      if (decoded.problems.length) {
        const p = decoded.problems[0]!;
        return { ok: false, refusal: refusal('FACE_ITEM', p.message, p.messageEn, `face.${p.item}`) };
      }
      const face = FaceData.safeParse(decoded.face);
      if (!face.success) return { ok: false, refusal: firstIssue(face.error, 'face') };
      if (face.data.identifier !== st.identifier || face.data.agencyCode !== st.agency.uscc)
        return {
          ok: false,
          refusal: refusal(
            'FACE_MISMATCH',
            '照面信息的电子证照标识或登记机构代码与目录信息不一致',
            'Face identifier or agency code differs from the catalog item',
            'face.电子证照标识',
          ),
        };
      return { ok: true, value: { kind: 'certificate', state: st, face: face.data } };
    },
    async commit(trx, peer, e, v) {
      const now = deps.ctx.now();
      if (v.kind === 'noop') return 'skipped';
      const agency = v.kind === 'agency' ? v.state : v.state.agency;
      const held = await library.findAgency(trx, agency.uscc);
      if (held && held.node_id !== peer.peer_id)
        return refusal(
          'AGENCY_OF_ANOTHER_NODE',
          `登记机构 ${agency.uscc} 已由节点 ${held.node_id} 报送`,
          `Agency ${agency.uscc} belongs to node ${held.node_id}`,
          'agency.uscc',
        );
      if (!held) {
        await library.insertAgency(trx, {
          id: randomUUID(),
          uscc: agency.uscc,
          node_id: peer.peer_id,
          name: agency.name,
          region_code: agency.regionCode,
          level: agency.level,
          source_seq: e.seq,
          updated_at: now,
        });
      } else if (BigInt(held.source_seq) < BigInt(e.seq)) {
        await library.updateAgency(trx, agency.uscc, {
          name: agency.name,
          region_code: agency.regionCode,
          level: agency.level,
          source_seq: e.seq,
          updated_at: now,
        });
      }
      if (v.kind === 'agency') return held && BigInt(held.source_seq) >= BigInt(e.seq) ? 'stale' : 'applied';
      if (v.kind === 'seal') {
        const s = v.state;
        const cur = await library.findSeal(trx, peer.peer_id, s.sealId);
        if (cur && BigInt(cur.source_seq) >= BigInt(e.seq)) return 'stale';
        await library.upsertSeal(trx, {
          node_id: peer.peer_id,
          seal_id: s.sealId,
          es_id: s.esId,
          agency_uscc: s.agency.uscc,
          name: s.name,
          status: s.status,
          valid_from: new Date(s.validFrom),
          valid_to: new Date(s.validTo),
          filing_no: s.filingNo,
          seal_sm3: s.sealSm3,
          source_seq: e.seq,
          updated_at: now,
        });
        return 'applied';
      }
      const { state: st, face } = v;
      const cur = await library.lockCertificate(trx, st.identifier);
      if (cur && cur.node_id !== peer.peer_id)
        return refusal(
          'IDENTIFIER_OF_ANOTHER_NODE',
          `电子证照标识已由节点 ${cur.node_id} 报送`,
          `Identifier already held for node ${cur.node_id}`,
          'identifier',
        );
      // Per certificate, only newer state wins: a higher seq of the owning node was built later.
      if (cur && BigInt(cur.source_seq) >= BigInt(e.seq)) return 'stale';
      // The province's own keyed index of every holder and co-owner ID number (never the city's hashes).
      const ids = [
        ...face.holders.map((h) => h.idNumber),
        ...(face.kind === 'property-certificate' ? (face.coOwners ?? []).map((c) => c.idNumber ?? '') : []),
      ].filter(Boolean);
      const row = {
        id: cur?.id ?? randomUUID(),
        identifier: st.identifier,
        node_id: peer.peer_id,
        agency_uscc: st.agency.uscc,
        kind: st.kind,
        version: st.version,
        certificate_no: st.certificateNo,
        status: st.status,
        catalog_status: st.catalogStatus,
        collected: st.collected,
        pledged: st.pledged,
        matter: st.matter,
        unit_no: st.unitNo,
        location: st.location,
        registered_on: st.registeredOn,
        holder_display: face.holders.map((h) => maskName(h.name)).join('、'),
        holder_keys: [...new Set(ids.map((x) => fc.index(x)))],
        // Re-encrypted under the province's own master key (its FieldCrypto), never stored in the clear.
        face_enc: fc.encrypt(JSON.stringify(face)),
        catalog: st.catalog,
        files: st.files,
        seal: st.seal,
        sealed_at: st.sealedAt ? new Date(st.sealedAt) : null,
        status_reason: st.statusReason,
        predecessor: st.predecessor,
        verify_token_sm3: st.verifyTokenSm3,
        source_created_at: new Date(st.createdAt),
        source_updated_at: new Date(st.updatedAt),
        day: cstDay(new Date(st.createdAt)),
        source_seq: e.seq,
        updated_at: now,
      };
      if (cur) await library.updateCertificate(trx, row);
      else await library.insertCertificate(trx, row);
      return 'applied';
    },
  };
}
