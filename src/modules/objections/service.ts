import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Principal } from '../../domain/access.js';
import { staffMayActFor } from '../../domain/access.js';
import { ApiError } from '../../http/errors.js';
import type { Database } from '../../store/schema.js';
import { actorOf, recordAudit } from '../audit/audit.js';
import type { FieldCrypto } from '../context.js';
import type { ObjectionStatus } from '../identity/tables.js';

/**
 * Objections (异议, Nanyang Art. 16): a holder or a user of a certificate who disputes its content files with the
 * issuing agency, which verifies and corrects it in time. The register context tells us who issued a certificate and
 * who holds it (the port below); everything here is audited.
 */
export interface CertificateDirectory {
  /** Issuing agency and holders (keyed hashes) of a certificate, or undefined when there is none. */
  describe(certificateId: string): Promise<{ issuingAgencyId: string; holderKeys: readonly string[] } | undefined>;
}

export interface ObjectionView {
  readonly id: string;
  readonly certificateId: string;
  readonly issuingAgencyId: string;
  readonly filerKind: 'holder' | 'institution' | 'staff';
  readonly reason: string;
  readonly status: ObjectionStatus;
  readonly outcome: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly closedAt: Date | null;
}

export interface ObjectionDeps {
  readonly db: Kysely<Database>;
  readonly fieldCrypto: FieldCrypto;
  readonly certificates: CertificateDirectory;
  readonly now: () => Date;
}

const NEXT: Record<ObjectionStatus, readonly ObjectionStatus[]> = {
  submitted: ['processing', 'resolved', 'rejected'],
  processing: ['resolved', 'rejected'],
  resolved: [],
  rejected: [],
};

const notFound = () => new ApiError('NOT_FOUND', '未找到请求的资源', 'Not found');

function filerOf(p: Principal): { kind: 'holder' | 'institution' | 'staff'; ref: string } {
  switch (p.kind) {
    case 'holder':
      return { kind: 'holder', ref: p.holderKey };
    case 'institution':
      return { kind: 'institution', ref: p.clientId };
    case 'staff':
      return { kind: 'staff', ref: p.userId };
    default:
      throw new ApiError('FORBIDDEN', '无权提出异议', 'Not allowed to file an objection');
  }
}

type Row = Awaited<ReturnType<ObjectionService['load']>>;

export class ObjectionService {
  constructor(private readonly d: ObjectionDeps) {}

  async load(id: string) {
    return this.d.db.selectFrom('objections').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private view(r: NonNullable<Row>): ObjectionView {
    return {
      id: r.id,
      certificateId: r.certificate_id,
      issuingAgencyId: r.issuing_agency_id,
      filerKind: r.filer_kind,
      reason: r.reason,
      status: r.status,
      outcome: r.outcome,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      closedAt: r.closed_at ? new Date(r.closed_at) : null,
    };
  }

  /** Filer or staff of the issuing agency (registrar, agency admin, auditor) may see it; anyone else gets 404. */
  private visible(p: Principal, r: NonNullable<Row>): boolean {
    const f = p.kind === 'system' ? undefined : filerOf(p);
    if (f && f.kind === r.filer_kind && f.ref === r.filer_ref) return true;
    return (['registrar', 'agency-admin', 'auditor'] as const).some((role) =>
      staffMayActFor(p, r.issuing_agency_id, role),
    );
  }

  async file(
    p: Principal,
    input: { certificateId: string; reason: string; contact?: string },
    meta: { ip?: string; requestId?: string },
  ): Promise<ObjectionView> {
    const filer = filerOf(p);
    const cert = await this.d.certificates.describe(input.certificateId);
    // A holder objects only to their own certificate; someone else's is "not found" (issue 7 §2).
    if (!cert || (p.kind === 'holder' && !cert.holderKeys.includes(p.holderKey))) throw notFound();
    const id = randomUUID();
    const now = this.d.now();
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('objections')
        .values({
          id,
          certificate_id: input.certificateId,
          issuing_agency_id: cert.issuingAgencyId,
          filer_kind: filer.kind,
          filer_ref: filer.ref,
          contact_enc: input.contact ? this.d.fieldCrypto.encrypt(input.contact) : null,
          reason: input.reason,
          status: 'submitted',
          outcome: null,
          handled_by: null,
          created_at: now,
          updated_at: now,
          closed_at: null,
        })
        .execute();
      await recordAudit(trx, {
        actor: actorOf(p),
        action: 'objection.file',
        objectType: 'objection',
        objectId: id,
        certificateId: input.certificateId,
        issuingAgencyId: cert.issuingAgencyId,
        result: 'success',
        at: now,
        ...meta,
      });
    });
    const r = await this.load(id);
    if (!r) throw new Error('objection vanished');
    return this.view(r);
  }

  async get(p: Principal, id: string): Promise<ObjectionView & { contact: string | null }> {
    const r = await this.load(id);
    if (!r || !this.visible(p, r)) throw notFound();
    return { ...this.view(r), contact: r.contact_enc ? this.d.fieldCrypto.decrypt(r.contact_enc) : null };
  }

  /** Staff: their agency's objections (a province admin names any agency). Others: the ones they filed. */
  async list(p: Principal, o: { agencyId?: string; status?: ObjectionStatus } = {}): Promise<ObjectionView[]> {
    let q = this.d.db.selectFrom('objections').selectAll().orderBy('created_at', 'desc').limit(500);
    if (p.kind === 'staff') {
      const agencyId = o.agencyId ?? p.agencyId;
      if (!(['registrar', 'agency-admin', 'auditor'] as const).some((r) => staffMayActFor(p, agencyId, r)))
        throw notFound();
      q = q.where('issuing_agency_id', '=', agencyId);
    } else {
      const f = filerOf(p);
      q = q.where('filer_kind', '=', f.kind).where('filer_ref', '=', f.ref);
    }
    if (o.status) q = q.where('status', '=', o.status);
    return (await q.execute()).map((r) => this.view(r));
  }

  /** The issuing agency moves it on: processing, then resolved or rejected with an outcome. */
  async decide(
    p: Principal,
    id: string,
    input: { status: ObjectionStatus; outcome?: string },
    meta: { ip?: string; requestId?: string },
  ): Promise<ObjectionView> {
    const r = await this.load(id);
    if (!r || !this.visible(p, r)) throw notFound();
    if (!(['registrar', 'agency-admin'] as const).some((role) => staffMayActFor(p, r.issuing_agency_id, role)))
      throw new ApiError(
        'FORBIDDEN',
        '只有签发机构的登簿人员或管理员可处理异议',
        'Only the issuing agency handles objections',
      );
    if (!NEXT[r.status].includes(input.status))
      throw new ApiError(
        'CONFLICT',
        `异议状态不能从“${r.status}”变为“${input.status}”`,
        `An objection cannot go from ${r.status} to ${input.status}`,
        'status',
      );
    const closing = input.status === 'resolved' || input.status === 'rejected';
    if (closing && !input.outcome?.trim())
      throw new ApiError('VALIDATION_FAILED', '办结或驳回须填写处理结果', 'An outcome is required to close', 'outcome');
    const now = this.d.now();
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('objections')
        .set({
          status: input.status,
          ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
          handled_by: p.kind === 'staff' ? p.userId : null,
          updated_at: now,
          ...(closing ? { closed_at: now } : {}),
        })
        .where('id', '=', id)
        .execute();
      await recordAudit(trx, {
        actor: actorOf(p),
        action: `objection.${input.status}`,
        objectType: 'objection',
        objectId: id,
        certificateId: r.certificate_id,
        issuingAgencyId: r.issuing_agency_id,
        result: 'success',
        at: now,
        ...meta,
      });
    });
    const after = await this.load(id);
    if (!after) throw notFound();
    return this.view(after);
  }
}
