import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { bytesToHex } from '../../crypto/bytes.js';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';
import { mintVerificationToken } from '../../documents/qr/query.js';
import { type OfdVerification, verifyOfd } from '../../documents/verify.js';
import {
  ALTERNATIVE_PROOF_TYPE_CODE,
  type CertificateKind,
  DEFAULT_PROOF_TYPE_CODE,
  typeCodeOf,
} from '../../domain/catalog.js';
import { checkCertificateNumber, parseCertificateNumber } from '../../domain/certificate-number.js';
import { type FaceData, validateFace } from '../../domain/face-data.js';
import { itemsToFace } from '../../domain/face-items.js';
import { chineseNameOf } from '../../domain/field-names.js';
import { checkIdentifier, parseIdentifier } from '../../domain/identifier.js';
import { type CertificateStatus, canTransition, type LifecycleEvent } from '../../domain/lifecycle.js';
import { ApiError } from '../../http/errors.js';
import { appendOutbox } from '../../store/outbox.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { AgencyRow } from '../catalog/repository.js';
import * as catalogRepo from '../catalog/repository.js';
import * as issuanceRepo from '../issuance/repository.js';
import { applyEvent, type IssuanceDeps } from '../issuance/service.js';
import { maskName } from '../privacy/mask.js';
import * as registerRepo from '../register/repository.js';
import { publicKeyOf } from './protocol.js';
import { type Applier, type Prepared, type Refusal, refusal } from './receiver.js';
import * as repo from './repository.js';

/**
 * Self-built agency systems (自建证照系统, Henan 三(二)1–2): an agency that generates and seals its certificates in its
 * own system — with a seal issued by the city's e-seal system — pushes the layout file, catalog and face data to the
 * city node (`POST /api/v1/sync/agency/push`) with the same envelope protocol a city uses towards the province, signed
 * with the agency system's enrolled SM2 key. The city accepts a certificate only when
 *   - the identifier is valid (GB/T 36904 / C0203 A.3, `src/domain/identifier.ts`), names that agency's USCC as its
 *     issuer and the type code of its kind;
 *   - the face data is complete and valid (附件2) and agrees with the identifier, number and agency;
 *   - the OFD's seal verifies (`verifyOfd`, the city's trusted roots), the seal is one of that agency's seals in the
 *     city's seal registry and was not revoked when used;
 *   - the file's embedded metadata (ZZBS, ZZBH, ZZBFJGDM, ZZBFRQ, CZZTDM) matches the face data.
 * A refusal names the field in Chinese and English. An accepted certificate becomes a city certificate: it is
 * searchable, downloadable, shareable here, and flows on to the province like any other (its outbox event).
 */
export interface IntakeDeps {
  readonly issuance: IssuanceDeps;
  readonly signer: Sm2Signer;
}

export const AgencyCertificate = z
  .object({
    identifier: z.string().trim().min(20).max(200).meta({ description: '电子证照标识（自建系统按C0203 A.3生成）' }),
    kind: z.enum(['property-certificate', 'registration-proof']).meta({ description: '证照种类' }),
    certificateNo: z.string().trim().min(1).max(100).meta({ description: '不动产权证书号或不动产登记证明号' }),
    status: z
      .enum(['issued', 'suspended', 'cancelled', 'revoked', 'voided'])
      .default('issued')
      .meta({ description: '证照状态：新证照须为 issued（有效）；之后的消息可注销、吊销、废止、挂起、恢复' }),
    statusReason: z.string().trim().max(500).optional().meta({ description: '状态变更原因' }),
    face: z.record(z.string(), z.unknown()).meta({ description: '照面信息，以附件2信息项名称为键（列表项为数组）' }),
    catalog: z.record(z.string(), z.unknown()).optional().meta({ description: '目录信息（附件1），可省略' }),
    ofd: z.string().max(30_000_000).optional().meta({ description: '已签章的OFD版式文件（Base64）；新证照必填' }),
    ofdSm3: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .meta({ description: '版式文件的SM3摘要（十六进制）' }),
  })
  .meta({ description: '自建证照系统推送的一本证照' });
export type AgencyCertificate = z.infer<typeof AgencyCertificate>;

/** Enrols an agency's own system: its SM2 public key, for the agency named (the agency admin does this). */
export async function registerAgencySystem(
  deps: IntakeDeps,
  o: { agencyId: string; name: string; publicKey: string; actor: AuditActor },
): Promise<{ systemId: string; cityNodeId: string; cityPublicKey: string }> {
  const { ctx } = deps.issuance;
  const agency = await catalogRepo.findAgency(ctx.store.db, o.agencyId);
  if (!agency) throw new ApiError('NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  try {
    publicKeyOf(o.publicKey);
  } catch {
    throw new ApiError('VALIDATION_FAILED', 'SM2公钥无效', 'Invalid SM2 public key', 'publicKey');
  }
  const systemId = `as-${agency.uscc.toLowerCase()}-${randomBytes(3).toString('hex')}`;
  await ctx.store.db.transaction().execute(async (trx) => {
    await repo.upsertPeer(trx, {
      peer_id: systemId,
      kind: 'agency-system',
      name: o.name,
      region_codes: [agency.region_code],
      base_url: null,
      agency_id: agency.id,
      public_key_hex: o.publicKey,
    });
    await recordAudit(trx, {
      actor: o.actor,
      action: 'sync.agency-system.register',
      objectType: 'sync-peer',
      objectId: systemId,
      issuingAgencyId: agency.id,
      result: 'success',
      details: { name: o.name, agencyId: agency.id },
    });
  });
  return {
    systemId,
    cityNodeId: ctx.config.sync.nodeId,
    cityPublicKey: bytesToHex(deps.signer.publicKey.toRaw()),
  };
}

type IntakeValue =
  | {
      readonly kind: 'new';
      readonly agency: AgencyRow;
      readonly doc: AgencyCertificate;
      readonly face: FaceData;
      readonly ofdBlob: string;
      readonly sealId: string;
      readonly sealedAt: Date;
    }
  | { readonly kind: 'status'; readonly certificateId: string; readonly doc: AgencyCertificate }
  | { readonly kind: 'same' };

const fail = (r: Refusal): Prepared<IntakeValue> => ({ ok: false, refusal: r });

const TARGET_EVENT: Partial<Record<CertificateStatus, Record<string, LifecycleEvent>>> = {
  cancelled: { issued: 'cancel', suspended: 'cancel' },
  revoked: { issued: 'revoke', suspended: 'revoke' },
  voided: { issued: 'void', suspended: 'void' },
  suspended: { issued: 'suspend' },
  issued: { suspended: 'resume' },
};

/** Metadata items a sealed certificate file carries (standards.md §6) and what they must equal. */
function metadataChecks(doc: AgencyCertificate, face: FaceData, agency: AgencyRow) {
  return [
    { key: 'ZZBS', zh: '证照标识', required: true, expected: doc.identifier },
    { key: 'ZZBH', zh: '证照编号', required: true, expected: doc.certificateNo },
    { key: 'ZZBFJGDM', zh: '证照颁发机构代码', required: true, expected: agency.uscc },
    { key: 'ZZBFRQ', zh: '证照颁发日期', required: false, expected: face.registeredOn },
    { key: 'CZZTDM', zh: '持证主体代码', required: false, expected: face.holders.map((h) => h.idNumber).join('、') },
  ];
}

export function intakeApplier(deps: IntakeDeps): Applier<IntakeValue> {
  const { ctx } = deps.issuance;
  const db = ctx.store.db;
  return {
    peerKind: 'agency-system',
    auditAction: 'sync.agency-intake',
    async prepare(peer, e) {
      if (e.type !== 'certificate.state')
        return fail(refusal('TYPE_NOT_ACCEPTED', '仅接受证照消息', 'Only certificate messages are accepted', 'type'));
      const parsed = AgencyCertificate.safeParse(e.payload);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        const field = i.path.map(String).join('.') || 'payload';
        return fail(refusal('INVALID_PAYLOAD', `${field}：${i.message}`, `${field}: ${i.message}`, field));
      }
      const doc = parsed.data;
      if (doc.identifier !== e.id)
        return fail(
          refusal('IDENTIFIER_MISMATCH', '消息标识与电子证照标识不一致', 'Envelope id differs', 'identifier'),
        );
      const agency = peer.agency_id ? await catalogRepo.findAgency(db, peer.agency_id) : undefined;
      if (!agency) return fail(refusal('AGENCY_NOT_FOUND', '该系统所属登记机构不存在', 'Agency not found', 'node'));

      // 1. The identifier: valid, issued by this agency, of this kind's type code.
      const idErr = checkIdentifier(doc.identifier).find((p) => p.severity === 'error');
      if (idErr) return fail(refusal(idErr.code, idErr.message, idErr.messageEn, 'identifier'));
      const parts = parseIdentifier(doc.identifier)!;
      if (parts.issuerCode !== agency.uscc)
        return fail(
          refusal(
            'IDENTIFIER_ISSUER_MISMATCH',
            `电子证照标识中的颁发机构代码 ${parts.issuerCode} 不是本机构的统一社会信用代码 ${agency.uscc}`,
            `The identifier's issuer code ${parts.issuerCode} is not this agency's USCC ${agency.uscc}`,
            'identifier',
          ),
        );
      const types =
        doc.kind === 'registration-proof'
          ? [typeCodeOf(doc.kind, deps.issuance.catalogConfig), DEFAULT_PROOF_TYPE_CODE, ALTERNATIVE_PROOF_TYPE_CODE]
          : [typeCodeOf(doc.kind)];
      if (!types.includes(parts.typeCode))
        return fail(
          refusal(
            'IDENTIFIER_TYPE_MISMATCH',
            `电子证照标识中的证照类型代码 ${parts.typeCode} 与证照种类不符`,
            `The identifier's type code ${parts.typeCode} does not match the kind`,
            'identifier',
          ),
        );
      const numErr = checkCertificateNumber(doc.certificateNo, 'certificateNo', doc.kind).find(
        (p) => p.severity === 'error',
      );
      if (numErr) return fail(refusal(numErr.code, numErr.message, numErr.messageEn, 'certificateNo'));

      // 2. The face data (附件2): complete and consistent with the catalog.
      const decoded = itemsToFace(doc.kind, doc.face);
      if (decoded.problems.length) {
        const p = decoded.problems[0]!;
        return fail(refusal('FACE_ITEM', p.message, p.messageEn, `face.${p.item}`));
      }
      const checked = validateFace(decoded.face);
      if (!checked.ok) {
        const p = checked.problems.find((x) => x.severity === 'error')!;
        const zh = p.field ? (chineseNameOf(doc.kind, p.field) ?? p.field) : undefined;
        return fail(
          refusal(
            p.code,
            zh ? `照面信息「${zh}」：${p.message}` : p.message,
            p.field ? `face ${p.field}: ${p.messageEn}` : p.messageEn,
            zh ? `face.${zh}` : 'face',
          ),
        );
      }
      const face = checked.value;
      const faceNo = face.kind === 'property-certificate' ? face.certificateNo : face.proofNo;
      const noItem = face.kind === 'property-certificate' ? '不动产权证书号' : '不动产登记证明号';
      for (const [ok, item, en] of [
        [face.identifier === doc.identifier, '电子证照标识', 'identifier'],
        [face.agencyCode === agency.uscc, '登记机构代码', 'agency code'],
        [faceNo === doc.certificateNo, noItem, 'certificate number'],
      ] as const) {
        if (!ok)
          return fail(
            refusal(
              'FACE_MISMATCH',
              `照面信息「${item}」与目录信息或本机构不一致`,
              `Face item ${en} differs from the catalog or the agency`,
              `face.${item}`,
            ),
          );
      }

      // 3. An update of a certificate already accepted: status only; its file never changes.
      const existing = await issuanceRepo.findByIdentifier(db, doc.identifier);
      if (existing) {
        if (existing.agency_id !== agency.id)
          return fail(
            refusal(
              'IDENTIFIER_TAKEN',
              '电子证照标识已被其他机构使用',
              'Identifier belongs to another agency',
              'identifier',
            ),
          );
        if (existing.ofd_blob !== doc.ofdSm3)
          return fail(
            refusal(
              'FILE_CHANGED',
              '已接收证照的版式文件不能更换；更正须生成新版本号的电子证照标识',
              'An accepted file cannot change; a correction gets a new identifier version',
              'ofdSm3',
            ),
          );
        if (existing.status === doc.status) return { ok: true, value: { kind: 'same' } };
        if (!TARGET_EVENT[doc.status]?.[existing.status])
          return fail(
            refusal(
              'ILLEGAL_TRANSITION',
              `证照状态不能从「${existing.status}」变为「${doc.status}」`,
              `Status cannot change from ${existing.status} to ${doc.status}`,
              'status',
            ),
          );
        return { ok: true, value: { kind: 'status', certificateId: existing.id, doc } };
      }
      if (doc.status !== 'issued')
        return fail(
          refusal('STATUS_NOT_ISSUED', '新证照的状态须为有效（issued）', 'A new certificate must be issued', 'status'),
        );

      // 4. The sealed file: its digest, its seal (the city's registry), its metadata.
      if (!doc.ofd)
        return fail(
          refusal('OFD_REQUIRED', '新证照须附已签章的OFD版式文件', 'A new certificate needs its sealed OFD', 'ofd'),
        );
      const bytes = new Uint8Array(Buffer.from(doc.ofd, 'base64'));
      if (sm3Hex(bytes) !== doc.ofdSm3)
        return fail(refusal('OFD_DIGEST', '版式文件的SM3摘要不符', 'The OFD does not match its SM3 digest', 'ofdSm3'));
      const v: OfdVerification = await verifyOfd(bytes, {
        trustedRoots: deps.issuance.catalog.sealCrypto.trustedRoots(),
        sealLookup: async (esId) => {
          // Henan 三(二)1: the seal must be one the city's e-seal system issued to this very agency.
          const s = (await catalogRepo.findSealByEsId(db, esId)).find((x) => x.agency_id === agency.id);
          return s ? { status: s.status, ...(s.status !== 'active' ? { since: s.updated_at } : {}) } : undefined;
        },
      });
      if (!v.valid) {
        const bad = v.checks.find((c) => c.status === 'failed');
        return fail(
          refusal(
            'SEAL_INVALID',
            `版式文件签章验证未通过：${bad?.title ?? ''}${bad?.reason ? `（${bad.reason}）` : ''}`,
            `The file's seal did not verify: ${bad?.titleEn ?? ''}${bad?.reason ? ` (${bad.reason})` : ''}`,
            'ofd',
          ),
        );
      }
      const seal = (await catalogRepo.findSealByEsId(db, v.seal!.esId)).find((x) => x.agency_id === agency.id)!;
      for (const m of metadataChecks(doc, face, agency)) {
        const got = v.meta[m.key];
        if (got === undefined ? m.required : got !== m.expected)
          return fail(
            refusal(
              'METADATA_MISMATCH',
              `版式文件元数据 ${m.key}（${m.zh}）${got === undefined ? '缺失' : '与照面信息不一致'}`,
              `File metadata ${m.key} ${got === undefined ? 'missing' : 'differs from the face data'}`,
              `ofd.meta.${m.key}`,
            ),
          );
      }
      const ofdBlob = await ctx.blobs.put(bytes);
      return {
        ok: true,
        value: { kind: 'new', agency, doc, face, ofdBlob, sealId: seal.id, sealedAt: new Date(v.seal!.signingTime) },
      };
    },

    async commit(trx, peer, e, v) {
      const actor: AuditActor = { kind: 'system', id: `agency-system:${peer.peer_id}`, agencyId: peer.agency_id ?? '' };
      if (v.kind === 'same') return 'stale';
      if (v.kind === 'status') {
        const c = await issuanceRepo.lockCertificate(trx, v.certificateId);
        const event = c ? TARGET_EVENT[v.doc.status as CertificateStatus]?.[c.status] : undefined;
        if (
          !c ||
          !event ||
          !canTransition({ status: c.status as CertificateStatus, collected: c.collected, pledged: c.pledged }, event)
        )
          return refusal('ILLEGAL_TRANSITION', '证照状态不允许此变更', 'Illegal status change', 'status');
        await applyEvent(deps.issuance, trx, c, event, v.doc.statusReason ?? `自建证照系统推送（${peer.name}）`, actor);
        return 'applied';
      }
      const { agency, doc, face } = v;
      if (await issuanceRepo.findByIdentifier(trx, doc.identifier)) return 'stale';
      const now = ctx.now();
      const number = parseCertificateNumber(doc.certificateNo)!;
      const parts = parseIdentifier(doc.identifier)!;
      const entryId = randomUUID();
      const id = randomUUID();
      const unitNo = face.unitNo.replace(/\s/g, '');
      await registerRepo.upsertUnit(
        trx,
        { unit_no: unitNo, agency_id: agency.id, region_code: agency.region_code, location: face.location },
        now,
      );
      await registerRepo.insertEntry(trx, {
        id: entryId,
        agency_id: agency.id,
        business_no: `${peer.peer_id}:${e.seq}`,
        registration_type: '900',
        right_type_code: face.kind === 'property-certificate' ? face.rightTypeCode : null,
        unit_no: unitNo,
        recorded_at: new Date(
          `${face.registeredOn.slice(0, 4)}-${face.registeredOn.slice(4, 6)}-${face.registeredOn.slice(6, 8)}T00:00:00+08:00`,
        ),
        case_id: null,
        source: 'agency-system',
        payload_enc: ctx.fieldCrypto.encrypt(
          JSON.stringify({ identifier: doc.identifier, system: peer.peer_id, seq: e.seq }),
        ),
        payload_sm3: e.payloadSm3,
        outcome: {
          document: doc.kind,
          reason: `自建证照系统推送 / pushed by the agency's own system (${peer.peer_id})`,
          certificateId: id,
          certificateNo: doc.certificateNo,
          identifier: doc.identifier,
        },
      });
      // The agency numbers its own certificates: keep the city's counter past them so numbers never collide.
      await issuanceRepo.reserveSerial(trx, agency.id, number.year, doc.kind, number.serial);
      const keys = new Set(face.holders.map((h) => ctx.fieldCrypto.index(h.idNumber)));
      if (face.kind === 'property-certificate')
        for (const c of face.coOwners ?? []) if (c.idNumber) keys.add(ctx.fieldCrypto.index(c.idNumber));
      await issuanceRepo.insertCertificate(trx, {
        id,
        agency_id: agency.id,
        kind: doc.kind as CertificateKind,
        year: number.year,
        serial: number.serial,
        version: parts.version,
        certificate_no: doc.certificateNo,
        identifier: doc.identifier,
        status: 'issued',
        unit_no: unitNo,
        right_id: null,
        entry_id: entryId,
        predecessor_id: null,
        matter: face.kind === 'registration-proof' ? face.matter : null,
        face_enc: ctx.fieldCrypto.encrypt(JSON.stringify(face)),
        holder_keys: [...keys],
        holder_display: face.holders.map((h) => maskName(h.name)).join('、'),
        location: face.location,
        registered_on: face.registeredOn,
        verify_token: mintVerificationToken(),
        draft_ofd: null,
        ofd_blob: v.ofdBlob,
        pdf_blob: null,
        cancelled_ofd_blob: null,
        cancelled_pdf_blob: null,
        seal_id: v.sealId,
        sealed_at: v.sealedAt,
        collected_at: null,
        status_reason: null,
        paper_recall: null,
      });
      await issuanceRepo.insertEvent(trx, {
        certificate_id: id,
        event: 'intake',
        from_status: 'draft',
        to_status: 'issued',
        reason: `自建证照系统推送，已验证签章与标识（${peer.name}）`,
        actor,
        at: now,
      });
      // The outbox event carries it on to the province like any certificate made here (Henan 三(二)3).
      await appendOutbox(trx, {
        aggregateType: 'certificate',
        aggregateId: id,
        eventType: 'certificate.intake',
        payload: { identifier: doc.identifier, agencyId: agency.id, system: peer.peer_id },
      });
      await recordAudit(trx, {
        actor,
        action: 'certificate.intake',
        objectType: 'certificate',
        objectId: id,
        certificateId: id,
        issuingAgencyId: agency.id,
        result: 'success',
        details: { system: peer.peer_id, seq: e.seq, sealId: v.sealId },
      });
      return 'applied';
    },
  };
}
