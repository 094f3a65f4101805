import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Sm2Signer } from '../../crypto/sm2.js';
import { sm3Hex } from '../../crypto/sm3.js';
import { encodeInfoQr } from '../../documents/qr/info.js';
import { mintVerificationToken, verificationUrl } from '../../documents/qr/query.js';
import { type CatalogConfig, type CertificateKind, typeCodeOf } from '../../domain/catalog.js';
import {
  formatCertificateNumber,
  normaliseCertificateNumber,
  parseCertificateNumber,
} from '../../domain/certificate-number.js';
import type { CodeTables } from '../../domain/codes/override.js';
import { type DocumentDecision, decideDocument } from '../../domain/document-decision.js';
import { type FaceData, type FaceInput, validateFace } from '../../domain/face-data.js';
import { makeIdentifier } from '../../domain/identifier.js';
import {
  type CertificateStatus,
  type LifecycleEvent,
  type LifecycleState,
  STATUS_NAMES,
  transition,
} from '../../domain/lifecycle.js';
import { DomainError, hasErrors, type Problem, problem } from '../../domain/problem.js';
import { appendOutbox, appendOutboxMany, type OutboxEvent } from '../../store/outbox.js';
import type { Database } from '../../store/schema.js';
import { type AuditActor, type AuditEntryInput, recordAudit, recordAuditMany } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import type { CatalogDeps } from '../catalog/service.js';
import type { ServiceContext } from '../context.js';
import { maskName } from '../privacy/mask.js';
import type { RegisterEntryInput } from '../register/entry-schema.js';
import * as registerRepo from '../register/repository.js';
import type { EntryOutcome, PaperRecall } from '../register/tables.js';
import type { CertificateRenderer } from './renderer.js';
import * as repo from './repository.js';

/** Everything issuance needs. `nodeSigner` signs the 信息二维码 payloads of this node. */
export interface IssuanceDeps {
  readonly ctx: ServiceContext;
  readonly catalog: CatalogDeps;
  readonly renderer: CertificateRenderer;
  readonly nodeSigner: Sm2Signer;
  readonly catalogConfig: CatalogConfig;
  /** Code tables in force (compiled + BDCERT_CODE_TABLES override); the compiled ones when absent. */
  readonly codeTables?: CodeTables;
  /** Called after an entry commits a pending certificate of an agency in real-time sealing mode. */
  readonly onPending?: (agencyId: string) => void;
}

type Trx = Transaction<Database>;

export interface RecordResult {
  readonly entryId: string;
  readonly outcome: EntryOutcome;
  readonly replayed: boolean;
}

/** A stable JSON of the entry, so a replay with the same 业务号 and the same content is recognised. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The 业务号 replay key: SM3 of the canonical entry (tables hash their parsed rows the same way). */
export function payloadHash(input: RegisterEntryInput & { agencyId: string }): string {
  return sm3Hex(canonical(input));
}

export function factsOf(
  face: (Pick<FaceInput, 'kind'> & Partial<Record<'matter' | 'rightTypeCode' | 'rightType', unknown>>) | undefined,
  registrationType: string,
) {
  if (!face) return { registrationType };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return face.kind === 'registration-proof'
    ? { registrationType, rightTypeName: str(face.matter) }
    : { registrationType, rightType: str(face.rightTypeCode), rightTypeName: str(face.rightType) };
}

/**
 * 登簿 → issuance (Huangchuan 2.1; Henan 三(一)3): records the entry in the register, supersedes or cancels what it
 * replaces (Sichuan Art. 10; Huangchuan 4.2), and — when the registration produces a document (Sichuan Art. 5–6) —
 * allocates the number and identifier and queues the certificate for sealing, all in one transaction. Replaying the
 * same 业务号 with the same content returns the first result and changes nothing.
 */
export async function recordEntry(
  deps: IssuanceDeps,
  input: RegisterEntryInput & { agencyId: string },
  actor: AuditActor,
  source: EntrySource = 'api',
  opts: {
    readonly stockNumber?: string;
    readonly stockIdentifier?: string;
    /** Record inside this transaction (the stock import groups rows; one commit per group, not per row). */
    readonly trx?: Trx;
  } = {},
): Promise<RecordResult> {
  const { ctx } = deps;
  const agency = await catalogRepo.findAgency(opts.trx ?? ctx.store.db, input.agencyId);
  if (!agency) throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  const payloadSm3 = payloadHash(input);
  const decision = decideDocument(factsOf(input.face, input.registrationType));
  checkEntry(input, decision, agency.uscc, deps.codeTables);

  // Work that needs no lock happens before the transaction: validation and the signed QR payload need the number,
  // so they are done inside, but tokens are minted here.
  const token = mintVerificationToken();
  const now = ctx.now();
  const inTransaction = async <T>(f: (trx: Trx) => Promise<T>): Promise<T> => {
    if (opts.trx) return f(opts.trx);
    try {
      return await ctx.store.db.transaction().execute(f);
    } catch (e) {
      // The same 业务号 recorded by a concurrent call between our lookup and our insert: run again, which finds it
      // and answers as a replay (or BUSINESS_NO_REUSED) — idempotent under concurrency too.
      if ((e as { code?: string; constraint?: string }).constraint === 'register_entries_business_no_uq')
        return ctx.store.db.transaction().execute(f);
      throw e;
    }
  };
  const result = await inTransaction(async (trx): Promise<RecordResult> => {
    const existing = await registerRepo.findEntry(trx, agency.id, input.businessNo);
    if (existing) {
      if (existing.payload_sm3 !== payloadSm3) {
        throw new DomainError(
          'BUSINESS_NO_REUSED',
          `业务号 ${input.businessNo} 已登簿且内容不同，不能重复使用`,
          `Business number ${input.businessNo} was recorded with different content`,
          'businessNo',
        );
      }
      return { entryId: existing.id, outcome: existing.outcome, replayed: true };
    }
    await registerRepo.upsertUnit(
      trx,
      { unit_no: input.unitNo, agency_id: agency.id, region_code: agency.region_code, location: input.location },
      now,
    );
    await registerRepo.lockUnit(trx, input.unitNo);
    const entryId = randomUUID();
    // The entry row first: rights, restrictions and certificates refer to it.
    const outcome: { -readonly [K in keyof EntryOutcome]: EntryOutcome[K] } = {
      document: decision.document,
      reason: decision.reason,
    };
    await registerRepo.insertEntry(trx, entryRow(deps, input, source, entryId, payloadSm3, outcome));
    // The number before anything that writes the audit log: every transaction takes the counter row lock before the
    // audit chain lock, so concurrent entries queue instead of deadlocking (a 转移登记 audits the predecessor it
    // cancels; a 首次登记 on another unit holding the counter would otherwise wait for that chain lock, and it for us).
    let reuse: { year: number; serial: number } | undefined;
    if (decision.document !== 'none' && input.face) {
      if (opts.stockNumber) {
        reuse = stockSerial(opts.stockNumber, decision.document);
        await repo.reserveSerial(trx, agency.id, reuse.year, decision.document, reuse.serial);
      } else {
        const year = Number(input.face.registeredOn.slice(0, 4));
        reuse = { year, serial: await repo.allocateSerial(trx, agency.id, year, decision.document) };
      }
    }
    // Historical stock (Nanyang Art. 11) records what is already in force: it supersedes nothing.
    const superseded =
      source === 'stock-import' ? [] : await applyToRegister(deps, trx, input, entryId, actor, outcome);
    if (superseded.length) outcome.superseded = superseded;
    if (decision.document !== 'none' && input.face) {
      const cert = await issue(deps, trx, {
        agency,
        input,
        face: input.face,
        kind: decision.document,
        entryId,
        token,
        actor,
        now,
        ...(reuse ? { reuse } : {}),
        ...(opts.stockNumber ? { number: normaliseCertificateNumber(opts.stockNumber) } : {}),
        ...(opts.stockIdentifier ? { identifier: opts.stockIdentifier } : {}),
      });
      outcome.certificateId = cert.id;
      outcome.certificateNo = cert.number;
      outcome.identifier = cert.identifier;
    }
    await trx
      .updateTable('register_entries')
      .set({ outcome: JSON.stringify(outcome) })
      .where('id', '=', entryId)
      .execute();
    await appendOutbox(trx, entryRecordedEvent(input, entryId, outcome));
    await recordAudit(trx, entryAudit(actor, input, entryId, outcome, source));
    return { entryId, outcome, replayed: false };
  });
  if (!result.replayed && result.outcome.certificateId && agency.sealing_mode === 'realtime')
    deps.onPending?.(agency.id);
  return result;
}

/** One row of historical stock: the entry recordEntry would get, with the paper certificate's number and identifier. */
export interface StockEntry {
  readonly input: RegisterEntryInput & { agencyId: string };
  readonly stockNumber: string;
  readonly stockIdentifier?: string;
}

/**
 * Bulk 登簿 of historical stock (Nanyang Art. 11): what `recordEntry(…, 'stock-import', { stockNumber })` does for each
 * row — the same checks, the same rows in the same tables, one audit entry per row in the same SM3 chain — for a group
 * of rows in one transaction and one statement per table: one replay lookup, one unit upsert, one counter reservation
 * per (year, kind), one insert each for entries, certificates, events and outbox, one audit append. The embedded
 * database's cost is per statement, so this is what makes a 100,000-row import take minutes rather than hours.
 *
 * Results are in the order given. A 业务号 already recorded (or earlier in the group) with the same content is a
 * replay; with other content the whole group throws BUSINESS_NO_REUSED. Any error rolls the whole group back, so the
 * caller can record its rows one by one with `recordEntry` to find the row at fault. Stock numbers are the paper
 * ones: the counter only moves past the largest, as `reserveSerial` does for one row.
 */
export async function recordStockEntries(
  deps: IssuanceDeps,
  entries: readonly StockEntry[],
  actor: AuditActor,
): Promise<RecordResult[]> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const first = entries[0];
  if (!first) return [];
  const agency = await catalogRepo.findAgency(db, first.input.agencyId);
  if (!agency) throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
  if (entries.some((e) => e.input.agencyId !== agency.id)) throw new Error('recordStockEntries: one agency per group');
  const source: EntrySource = 'stock-import';
  const reused = (businessNo: string) =>
    new DomainError(
      'BUSINESS_NO_REUSED',
      `业务号 ${businessNo} 已登簿且内容不同，不能重复使用`,
      `Business number ${businessNo} was recorded with different content`,
      'businessNo',
    );
  // Replays are found before any work: an import run again after a crash skips its committed groups cheaply. A row
  // recorded by someone else between this lookup and the insert fails the group on the unique 业务号 (caller retries).
  const known = new Map(
    (
      await registerRepo.findEntries(
        db,
        agency.id,
        entries.map((e) => e.input.businessNo),
      )
    ).map((r) => [r.business_no, { entryId: r.id, hash: r.payload_sm3, outcome: r.outcome }]),
  );
  const now = ctx.now();
  const results: RecordResult[] = [];
  const rows: Omit<registerRepo.EntryRow, 'created_at'>[] = [];
  const certificates: PreparedCertificate[] = [];
  const outbox: OutboxEvent[] = [];
  const audits: AuditEntryInput[] = [];
  const units = new Map<string, { unit_no: string; agency_id: string; region_code: string; location: string }>();
  const counters = new Map<string, { year: number; kind: CertificateKind; serial: number }>();
  for (const [i, { input, stockNumber, stockIdentifier }] of entries.entries()) {
    // The work per row is synchronous CPU (validation, SM2, SM4; ~1 s for a group under load): yield to the event
    // loop now and then, so the HTTP server running an import job stays responsive and a seal batch beside the
    // import keeps its render workers fed.
    if (i % 8 === 7) await new Promise<void>((r) => setImmediate(r));
    const payloadSm3 = payloadHash(input);
    const seen = known.get(input.businessNo);
    if (seen) {
      if (seen.hash !== payloadSm3) throw reused(input.businessNo);
      results.push({ entryId: seen.entryId, outcome: seen.outcome, replayed: true });
      continue;
    }
    const decision = decideDocument(factsOf(input.face, input.registrationType));
    checkEntry(input, decision, agency.uscc, deps.codeTables);
    const entryId = randomUUID();
    const outcome: { -readonly [K in keyof EntryOutcome]: EntryOutcome[K] } = {
      document: decision.document,
      reason: decision.reason,
    };
    // Stock supersedes nothing (it records what is already in force), so the register effects of recordEntry
    // (applyToRegister) do not apply, exactly as on the one-row path.
    let cert: PreparedCertificate | undefined;
    if (decision.document !== 'none' && input.face) {
      const { year, serial } = stockSerial(stockNumber, decision.document);
      const key = `${year}|${decision.document}`;
      const c = counters.get(key);
      if (!c || c.serial < serial) counters.set(key, { year, kind: decision.document, serial });
      cert = await prepareCertificate(
        deps,
        {
          agency,
          input,
          face: input.face,
          kind: decision.document,
          entryId,
          token: mintVerificationToken(),
          actor,
          now,
          reuse: { year, serial },
          number: normaliseCertificateNumber(stockNumber),
          ...(stockIdentifier ? { identifier: stockIdentifier } : {}),
        },
        year,
        serial,
      );
      certificates.push(cert);
      outcome.certificateId = cert.row.id;
      outcome.certificateNo = cert.row.certificate_no;
      outcome.identifier = cert.row.identifier;
      outbox.push(cert.outbox);
    }
    units.set(input.unitNo, {
      unit_no: input.unitNo,
      agency_id: agency.id,
      region_code: agency.region_code,
      location: input.location,
    });
    rows.push(entryRow(deps, input, source, entryId, payloadSm3, outcome));
    outbox.push(entryRecordedEvent(input, entryId, outcome));
    audits.push(entryAudit(actor, input, entryId, outcome, source));
    known.set(input.businessNo, { entryId, hash: payloadSm3, outcome });
    results.push({ entryId, outcome, replayed: false });
  }
  if (rows.length === 0) return results;
  // Lock order as in recordEntry: units, then counters, then the audit chain (last, in recordAuditMany).
  await db.transaction().execute(async (trx) => {
    await registerRepo.upsertUnits(
      trx,
      [...units.values()].sort((a, b) => (a.unit_no < b.unit_no ? -1 : a.unit_no > b.unit_no ? 1 : 0)),
      now,
    );
    for (const c of [...counters.values()].sort((a, b) => a.year - b.year || a.kind.localeCompare(b.kind)))
      await repo.reserveSerial(trx, agency.id, c.year, c.kind, c.serial);
    await registerRepo.insertEntries(trx, rows);
    await repo.insertCertificates(
      trx,
      certificates.map((c) => c.row),
    );
    await repo.insertEvents(
      trx,
      certificates.map((c) => c.event),
    );
    await appendOutboxMany(trx, outbox);
    await recordAuditMany(trx, audits);
  });
  if (certificates.length && agency.sealing_mode === 'realtime') deps.onPending?.(agency.id);
  return results;
}

type EntrySource = 'api' | 'table-import' | 'stock-import';

/** The register_entries row of an entry (both recording paths). */
function entryRow(
  deps: IssuanceDeps,
  input: RegisterEntryInput & { agencyId: string },
  source: EntrySource,
  id: string,
  payloadSm3: string,
  outcome: EntryOutcome,
): Omit<registerRepo.EntryRow, 'created_at'> {
  return {
    id,
    agency_id: input.agencyId,
    business_no: input.businessNo,
    registration_type: input.registrationType,
    right_type_code: input.face?.kind === 'property-certificate' ? input.face.rightTypeCode : null,
    unit_no: input.unitNo,
    recorded_at: new Date(input.recordedAt),
    case_id: input.caseId ?? null,
    source,
    payload_enc: deps.ctx.fieldCrypto.encrypt(JSON.stringify(input)),
    payload_sm3: payloadSm3,
    outcome,
  };
}

function entryRecordedEvent(
  input: RegisterEntryInput & { agencyId: string },
  entryId: string,
  outcome: EntryOutcome,
): OutboxEvent {
  return {
    aggregateType: 'register-entry',
    aggregateId: entryId,
    eventType: 'entry.recorded',
    payload: { agencyId: input.agencyId, businessNo: input.businessNo, outcome },
  };
}

function entryAudit(
  actor: AuditActor,
  input: RegisterEntryInput & { agencyId: string },
  entryId: string,
  outcome: EntryOutcome,
  source: EntrySource,
): AuditEntryInput {
  return {
    actor,
    action: 'register.entry',
    objectType: 'register-entry',
    objectId: entryId,
    ...(outcome.certificateId ? { certificateId: outcome.certificateId, issuingAgencyId: input.agencyId } : {}),
    result: 'success',
    details: {
      businessNo: input.businessNo,
      registrationType: input.registrationType,
      document: outcome.document,
      source,
    },
  };
}

/** Historical stock keeps its paper number: its year and serial, which must be of the kind the entry produces. */
function stockSerial(stockNumber: string, document: CertificateKind): { year: number; serial: number } {
  const parsed = parseCertificateNumber(stockNumber);
  if (parsed?.kind !== document) {
    throw new DomainError(
      'STOCK_NUMBER_INVALID',
      '存量证照的证号无效或与证照种类不符',
      'Stock certificate number invalid or of the other kind',
      'certificateNo',
    );
  }
  return { year: parsed.year, serial: parsed.serial };
}

function checkEntry(
  input: RegisterEntryInput,
  decision: DocumentDecision,
  agencyUscc: string,
  codeTables?: CodeTables,
): void {
  const problems = entryProblems(input, decision, agencyUscc, codeTables);
  if (hasErrors(problems)) {
    const first = problems.find((p) => p.severity === 'error')!;
    throw new DomainError(first.code, first.message, first.messageEn, first.field, problems);
  }
}

/**
 * Every problem recordEntry would refuse the entry for, without touching the database: the table importers validate
 * a whole file with it before importing anything (issue 6 §4). Field paths are those of RegisterEntryInput.
 */
export function entryProblems(
  input: RegisterEntryInput,
  decision: DocumentDecision,
  agencyUscc: string,
  codeTables?: CodeTables,
): Problem[] {
  if (decision.document === 'none') {
    if (input.registrationType === '800' && !input.seizure) {
      return [
        problem(
          'SEIZURE_REQUIRED',
          '查封登记须提供查封机关、文号和查封类型',
          'A seizure entry needs court, case number and type',
          'seizure',
        ),
      ];
    }
    return [];
  }
  if (!input.face) {
    return [
      problem(
        'FACE_REQUIRED',
        `该登记生成${decision.document === 'property-certificate' ? '不动产权证书' : '不动产登记证明'}，须提供照面信息`,
        'This registration produces a certificate: face data is required',
        'face',
      ),
    ];
  }
  if (input.face.kind !== decision.document) {
    return [
      problem(
        'DOCUMENT_KIND_MISMATCH',
        `${decision.reason}，但照面信息是另一种证照`,
        `${decision.reasonEn}, but the face data is of the other kind`,
        'face.kind',
      ),
    ];
  }
  const checked = validateFace(input.face, { stage: 'input', ...(codeTables ? { codeTables } : {}) });
  const problems = checked.problems.map((p) => (p.field ? { ...p, field: `face.${p.field}` } : p));
  if (input.face.unitNo.replace(/\s/g, '') !== input.unitNo.replace(/\s/g, '')) {
    problems.push(
      problem(
        'UNIT_MISMATCH',
        '照面信息的不动产单元号与登簿的不一致',
        'Face unit number differs from the entry',
        'face.unitNo',
      ),
    );
  }
  if (input.face.agencyCode !== agencyUscc) {
    problems.push(
      problem(
        'AGENCY_MISMATCH',
        '照面信息的登记机构代码与登簿机构不一致',
        'Face agency code differs from the recording agency',
        'face.agencyCode',
      ),
    );
  }
  return problems;
}

/** Register effects of the entry: rights, restrictions, and the certificates it ends. Returns superseded ids. */
async function applyToRegister(
  deps: IssuanceDeps,
  trx: Trx,
  input: RegisterEntryInput,
  entryId: string,
  actor: AuditActor,
  outcome: { restrictionId?: string },
): Promise<string[]> {
  const { ctx } = deps;
  const now = ctx.now();
  const ended: string[] = [];
  const paper: PaperRecall = {
    method: input.paperRecall?.method ?? 'none-issued',
    ...(input.paperRecall?.noticeRef ? { noticeRef: input.paperRecall.noticeRef } : {}),
    at: now.toISOString(),
  };
  const endCertificates = async (
    kind: CertificateKind,
    event: 'supersede' | 'cancel',
    reason: string,
    matter?: string,
  ) => {
    // All predecessors are locked before the first of them is audited (lock order: row locks, then the audit chain),
    // so a sealing batch holding one of them while it waits for the chain lock cannot deadlock with us.
    for (const c of await repo.liveOnUnit(trx, input.unitNo, kind, matter, true)) {
      // A predecessor never sealed is rolled back rather than cancelled (Huangchuan 4.3).
      const ev: LifecycleEvent = c.status === 'pending-seal' ? 'rollback' : event;
      await applyEvent(deps, trx, c, ev, reason, actor, { paper_recall: paper });
      ended.push(c.id);
    }
  };
  const face = input.face;
  if (input.registrationType === '800' && input.seizure) {
    const active = await registerRepo.activeRestrictions(trx, input.unitNo, 'seizure');
    const waiting =
      input.seizure.type === '2' || input.seizure.type === '4' || active.some((r) => r.status === 'active');
    const id = randomUUID();
    await registerRepo.insertRestriction(trx, {
      id,
      unit_no: input.unitNo,
      entry_id: entryId,
      kind: 'seizure',
      subtype: input.seizure.type,
      seq: await registerRepo.nextRestrictionSeq(trx, input.unitNo, 'seizure'),
      // 轮候查封 queues by arrival and takes effect when the prior seizure lifts (cross-region plan).
      status: waiting ? 'waiting' : 'active',
      source_org: input.seizure.court,
      source_case_no: input.seizure.caseNo,
      details_enc: null,
    });
    outcome.restrictionId = id;
    return ended;
  }
  if (input.registrationType === '400') {
    const target = input.cancels?.target ?? 'right';
    if (target === 'right') {
      await registerRepo.endRights(
        trx,
        (await registerRepo.currentRights(trx, input.unitNo)).map((r) => r.id),
        now,
      );
      await endCertificates('property-certificate', 'cancel', `注销登记（业务号${input.businessNo}）`);
    } else {
      const kind = target;
      const list = (await registerRepo.activeRestrictions(trx, input.unitNo, kind)).filter(
        (r) => !input.cancels?.restrictionId || r.id === input.cancels.restrictionId,
      );
      await registerRepo.releaseRestrictions(
        trx,
        list.map((r) => r.id),
        entryId,
        now,
      );
      if (kind === 'seizure') {
        // 解封: the first waiting seizure in arrival order takes effect.
        const rest = await registerRepo.activeRestrictions(trx, input.unitNo, 'seizure');
        const next = rest.find((r) => r.status === 'waiting');
        if (next && !rest.some((r) => r.status === 'active')) await registerRepo.activateRestriction(trx, next.id);
      }
      const matter =
        kind === 'mortgage'
          ? '抵押权'
          : kind === 'objection'
            ? '异议登记'
            : kind === 'advance-notice'
              ? '预告登记'
              : undefined;
      if (matter)
        await endCertificates('registration-proof', 'cancel', `注销登记（业务号${input.businessNo}）`, matter);
    }
    return ended;
  }
  if (!face) return ended;
  if (face.kind === 'property-certificate') {
    // A new registration on the same unit ends the current right and its certificate (Sichuan Art. 10).
    await registerRepo.endRights(
      trx,
      (await registerRepo.currentRights(trx, input.unitNo)).map((r) => r.id),
      now,
    );
    const holders = [
      ...face.holders.map((h) => ({ name: h.name, idType: h.idType, idNumber: h.idNumber })),
      ...(face.coOwners ?? []).map((c) => ({ name: c.name, idType: '111', idNumber: c.idNumber ?? '' })),
    ];
    await registerRepo.insertRight(trx, {
      id: randomUUID(),
      unit_no: input.unitNo,
      entry_id: entryId,
      right_type_code: face.rightTypeCode,
      right_type: face.rightType,
      status: 'current',
      co_ownership: face.coOwnership,
      holders_enc: ctx.fieldCrypto.encrypt(JSON.stringify(holders)),
      holder_keys: holders.filter((h) => h.idNumber).map((h) => ctx.fieldCrypto.index(h.idNumber)),
    });
    const names: Record<string, string> = {
      '100': '首次登记',
      '200': '转移登记',
      '300': '变更登记',
      '500': '更正登记',
      '900': '其他登记',
    };
    await endCertificates(
      'property-certificate',
      'supersede',
      `因${names[input.registrationType] ?? '新的登记'}（业务号${input.businessNo}）原证注销`,
    );
  } else {
    const kind =
      face.matter === '抵押权'
        ? 'mortgage'
        : face.matter === '异议登记'
          ? 'objection'
          : face.matter === '预告登记'
            ? 'advance-notice'
            : undefined;
    if (kind) {
      const id = randomUUID();
      await registerRepo.insertRestriction(trx, {
        id,
        unit_no: input.unitNo,
        entry_id: entryId,
        kind,
        subtype: null,
        seq: await registerRepo.nextRestrictionSeq(trx, input.unitNo, kind),
        status: 'active',
        source_org: null,
        source_case_no: null,
        details_enc: ctx.fieldCrypto.encrypt(
          JSON.stringify({ holders: face.holders.map((h) => h.name), other: face.other }),
        ),
      });
      outcome.restrictionId = id;
    }
  }
  return ended;
}

interface IssueArgs {
  readonly agency: catalogRepo.AgencyRow;
  readonly input: RegisterEntryInput;
  readonly face: FaceInput;
  readonly kind: CertificateKind;
  readonly entryId: string;
  readonly token: string;
  readonly actor: AuditActor;
  readonly now: Date;
  readonly version?: number;
  readonly predecessorId?: string;
  /** Reissue at a new version keeps the number (correction, Huangchuan 4.3). */
  readonly reuse?: { readonly year: number; readonly serial: number };
  /** Historical stock: the paper certificate's number as printed, and its identifier when one was issued. */
  readonly number?: string;
  readonly identifier?: string;
}

/** Allocates number and identifier, completes and validates the face data, inserts the pending certificate. */
export async function issue(
  deps: IssuanceDeps,
  trx: Trx,
  a: IssueArgs,
): Promise<{ id: string; number: string; identifier: string }> {
  const year = a.reuse?.year ?? Number(a.face.registeredOn.slice(0, 4));
  const serial = a.reuse?.serial ?? (await repo.allocateSerial(trx, a.agency.id, year, a.kind));
  const p = await prepareCertificate(deps, a, year, serial);
  await repo.insertCertificate(trx, p.row);
  await repo.insertEvent(trx, p.event);
  await appendOutbox(trx, p.outbox);
  return { id: p.row.id, number: p.row.certificate_no, identifier: p.row.identifier };
}

/** A pending certificate computed in memory: its row, its first life-cycle event and its outbox event. */
interface PreparedCertificate {
  readonly row: repo.NewCertificate;
  readonly event: repo.NewCertificateEvent;
  readonly outbox: OutboxEvent;
}

/**
 * Number and identifier from (year, serial), the signed 信息二维码, the completed face data validated, encrypted:
 * no database access, so `issue` writes one and the bulk stock path a group in one statement per table.
 */
async function prepareCertificate(
  deps: IssuanceDeps,
  a: IssueArgs,
  year: number,
  serial: number,
): Promise<PreparedCertificate> {
  const { ctx } = deps;
  const version = a.version ?? 1;
  const number =
    a.number ??
    formatCertificateNumber({
      provinceAbbr: a.agency.province_abbr,
      year,
      cityCounty: a.agency.city_county_name,
      kind: a.kind,
      serial,
    });
  // 流水号: year + 7-digit serial — unique per (type code, issuer) because numbers are (C0203 A.3 leaves it to the issuer).
  const identifier =
    a.identifier ??
    makeIdentifier({
      typeCode: typeCodeOf(a.kind, deps.catalogConfig),
      issuerCode: a.agency.uscc,
      serial: `${year}${String(serial).padStart(7, '0')}`,
      version,
    });
  const queryUrl = verificationUrl(ctx.config.baseUrl, a.token);
  const holderNames = a.face.holders.map((h) => h.name).join('、');
  const infoQr = await encodeInfoQr(
    {
      kind: a.kind === 'property-certificate' ? 'certificate' : 'proof',
      identifier,
      number,
      unitNumber: a.input.unitNo.replace(/\s/g, ''),
      holder: holderNames,
      issueDate: a.face.registeredOn,
      issuerCode: a.agency.uscc,
    },
    deps.nodeSigner,
  );
  const complete = (
    a.face.kind === 'property-certificate'
      ? { ...a.face, certificateNo: number, identifier, infoQr, queryQr: queryUrl }
      : { ...a.face, proofNo: number, identifier, infoQr, queryQr: queryUrl }
  ) as FaceData;
  const checked = validateFace(complete, deps.codeTables ? { codeTables: deps.codeTables } : {});
  if (!checked.ok) {
    const first = checked.problems.find((p) => p.severity === 'error')!;
    throw new DomainError(
      first.code,
      first.message,
      first.messageEn,
      first.field ? `face.${first.field}` : undefined,
      checked.problems,
    );
  }
  const id = randomUUID();
  const keys = new Set(a.face.holders.map((h) => ctx.fieldCrypto.index(h.idNumber)));
  if (a.face.kind === 'property-certificate')
    for (const c of a.face.coOwners ?? []) if (c.idNumber) keys.add(ctx.fieldCrypto.index(c.idNumber));
  const row: repo.NewCertificate = {
    id,
    agency_id: a.agency.id,
    kind: a.kind,
    year,
    serial,
    version,
    certificate_no: number,
    identifier,
    status: 'pending-seal',
    unit_no: a.input.unitNo.replace(/\s/g, ''),
    right_id: null,
    entry_id: a.entryId,
    predecessor_id: a.predecessorId ?? null,
    matter: a.face.kind === 'registration-proof' ? a.face.matter : null,
    face_enc: ctx.fieldCrypto.encrypt(JSON.stringify(checked.value)),
    holder_keys: [...keys],
    holder_display: a.face.holders.map((h) => maskName(h.name)).join('、'),
    location: a.face.location,
    registered_on: a.face.registeredOn,
    verify_token: a.token,
    draft_ofd: null,
    ofd_blob: null,
    pdf_blob: null,
    cancelled_ofd_blob: null,
    cancelled_pdf_blob: null,
    seal_id: null,
    sealed_at: null,
    collected_at: null,
    status_reason: null,
    paper_recall: null,
  };
  return {
    row,
    event: {
      certificate_id: id,
      event: 'render',
      from_status: 'draft',
      to_status: 'pending-seal',
      reason: '登簿后生成照面信息，待签章',
      actor: a.actor,
      at: a.now,
    },
    outbox: {
      aggregateType: 'certificate',
      aggregateId: id,
      eventType: 'certificate.pending-seal',
      payload: { agencyId: a.agency.id, identifier, number, kind: a.kind, version },
    },
  };
}

/**
 * Applies a life-cycle event to a certificate inside the caller's transaction: the domain state machine decides,
 * the row, its timeline, the outbox and the audit log change together.
 */
export async function applyEvent(
  deps: IssuanceDeps,
  trx: Trx,
  c: repo.CertificateRow,
  event: LifecycleEvent,
  reason: string | null,
  actor: AuditActor,
  extra: Partial<Omit<repo.CertificateRow, 'id'>> = {},
): Promise<LifecycleState> {
  const now = deps.ctx.now();
  const before: LifecycleState = { status: c.status as CertificateStatus, collected: c.collected, pledged: c.pledged };
  const after = transition(before, event);
  await repo.updateCertificate(
    trx,
    c.id,
    {
      status: after.status,
      collected: after.collected,
      pledged: after.pledged,
      ...(reason ? { status_reason: reason } : {}),
      ...extra,
    },
    now,
  );
  await repo.insertEvent(trx, {
    certificate_id: c.id,
    event,
    from_status: before.status,
    to_status: after.status,
    reason,
    actor,
    at: now,
  });
  await appendOutbox(trx, {
    aggregateType: 'certificate',
    aggregateId: c.id,
    eventType: `certificate.${event}`,
    payload: { identifier: c.identifier, from: before.status, to: after.status, reason, agencyId: c.agency_id },
  });
  await recordAudit(trx, {
    actor,
    action: `certificate.${event}`,
    objectType: 'certificate',
    objectId: c.id,
    certificateId: c.id,
    issuingAgencyId: c.agency_id,
    result: 'success',
    details: {
      from: before.status,
      to: after.status,
      statusName: STATUS_NAMES[after.status].zh,
      ...(reason ? { reason } : {}),
    },
  });
  return after;
}

export function decryptFace(deps: Pick<IssuanceDeps, 'ctx'>, c: repo.CertificateRow): FaceData {
  return JSON.parse(deps.ctx.fieldCrypto.decrypt(c.face_enc)) as FaceData;
}
