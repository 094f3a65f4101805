import { z } from 'zod';
import { DomainError } from '../../domain/problem.js';
import { appendOutbox } from '../../store/outbox.js';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import * as catalogRepo from '../catalog/repository.js';
import * as repo from './repository.js';
import * as scheduleRepo from './schedule-repository.js';
import { runBatch, startBatch } from './sealing.js';
import type { IssuanceDeps } from './service.js';

/**
 * The sealing schedule (Henan 三(一)5: “新增证照按照每天2次的频率进行签章。有条件的地市可以实现新增证照实时签章”):
 * per agency, `scheduled` at its times (default 12:00 and 18:00, China Standard Time) or `realtime` (sealed as each
 * entry commits — IssuanceDeps.onPending — with every tick sweeping what a failed real-time run left).
 *
 * Each time that comes due is a row in seal_schedule_slots, inserted before its batch starts: the key makes a time
 * fire once however many nodes tick, and a time that came due while no node ran has no row — the next tick (the one
 * at start) sees it missing and seals then (catch-up). Only the latest missed time fires: one batch seals everything
 * pending. An agency's first tick records a baseline and fires nothing, so a new node does not “catch up” a time from
 * before it existed; a schedule change records one too, so adding 13:00 at 14:00 waits for tomorrow's 13:00.
 */
export const CST_OFFSET_MS = 8 * 3600_000;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Instant of `HH:MM` China Standard Time on the CST day `dayStartUtc` (00:00 CST as a UTC instant). */
function slotAt(dayStartUtc: number, hhmm: string): Date {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return new Date(dayStartUtc + (h * 60 + m) * 60_000);
}

/** The latest configured time at or before `now` (today's or yesterday's, CST); undefined without times. */
export function latestDueSlot(now: Date, times: readonly string[]): Date | undefined {
  const cst = now.getTime() + CST_OFFSET_MS;
  const today = Math.floor(cst / 86_400_000) * 86_400_000 - CST_OFFSET_MS;
  let best: Date | undefined;
  for (const day of [today, today - 86_400_000])
    for (const t of times) {
      if (!HHMM.test(t)) continue;
      const s = slotAt(day, t);
      if (s.getTime() <= now.getTime() && (!best || s > best)) best = s;
    }
  return best;
}

export interface TickResult {
  readonly agencyId: string;
  readonly slotAt?: Date;
  readonly outcome: 'sealed' | 'nothing-pending' | 'baseline' | 'realtime-sweep';
  readonly catchUp: boolean;
  readonly batchId?: string;
}

/** A time sealed later than this after it came due counts as a catch-up (the process was down at the time). */
const CATCH_UP_AFTER_MS = 5 * 60_000;

/**
 * One pass over every agency: fires the due scheduled time that has not fired yet, sweeps real-time agencies.
 * Returns what it did (the batches it ran are finished when it returns).
 */
export async function scheduleTick(deps: IssuanceDeps): Promise<TickResult[]> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const out: TickResult[] = [];
  const system: AuditActor = { kind: 'system', id: 'seal-scheduler' };
  for (const a of await catalogRepo.listAgencies(db)) {
    const now = ctx.now();
    if (a.sealing_mode === 'realtime') {
      if ((await repo.countPending(db, a.id)) === 0) continue;
      const b = await startBatch(deps, { agencyId: a.id, trigger: 'realtime', actor: system });
      await runBatch(deps, b.id);
      out.push({ agencyId: a.id, outcome: 'realtime-sweep', catchUp: false, batchId: b.id });
      continue;
    }
    const slot = latestDueSlot(now, a.sealing_times);
    if (!slot) continue;
    if (!(await scheduleRepo.hasAnySlot(db, a.id))) {
      await scheduleRepo.claimSlot(db, { agency_id: a.id, slot_at: slot, outcome: 'baseline', catch_up: false });
      out.push({ agencyId: a.id, slotAt: slot, outcome: 'baseline', catchUp: false });
      continue;
    }
    const catchUp = now.getTime() - slot.getTime() > CATCH_UP_AFTER_MS;
    // The claim is the row itself: only the node whose insert wins seals this time.
    const won = await scheduleRepo.claimSlot(db, {
      agency_id: a.id,
      slot_at: slot,
      outcome: 'claimed',
      catch_up: catchUp,
    });
    const retaken = won
      ? false
      : await scheduleRepo.retakeStaleClaim(db, a.id, slot, new Date(now.getTime() - 120_000), now);
    if (!won && !retaken) continue;
    if ((await repo.countPending(db, a.id)) === 0) {
      await scheduleRepo.settleSlot(db, a.id, slot, 'nothing-pending', null);
      out.push({ agencyId: a.id, slotAt: slot, outcome: 'nothing-pending', catchUp });
      continue;
    }
    const b = await startBatch(deps, { agencyId: a.id, trigger: 'schedule', actor: system });
    await scheduleRepo.settleSlot(db, a.id, slot, 'sealed', b.id);
    if (catchUp)
      ctx.log.warn(
        { agencyId: a.id, slotAt: slot.toISOString() },
        '补签：签章时间点错过（进程未运行），现在签章 / catching up a sealing time missed while no node ran',
      );
    await runBatch(deps, b.id);
    out.push({ agencyId: a.id, slotAt: slot, outcome: 'sealed', catchUp, batchId: b.id });
  }
  return out;
}

/**
 * Ticks now — catching up a time missed while the process was down — and then every `intervalMs` (30 s: a time fires
 * within half a minute). Returns a stop function.
 */
export function startScheduler(deps: IssuanceDeps, o: { readonly intervalMs?: number } = {}): () => void {
  let busy: Promise<unknown> | undefined;
  const tick = () => {
    if (busy) return;
    busy = scheduleTick(deps)
      .catch((e: unknown) =>
        deps.ctx.log.error({ err: e instanceof Error ? e.message : String(e) }, 'seal scheduler tick failed'),
      )
      .finally(() => {
        busy = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, o.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** The body of `PATCH /api/v1/agencies/:agencyId/sealing`. */
export const SealingScheduleInput = z
  .object({
    mode: z
      .enum(['realtime', 'scheduled'], {
        error: '签章方式应为 realtime（实时）或 scheduled（定时）||mode: realtime | scheduled',
      })
      .optional()
      .meta({ description: 'realtime 实时签章 · scheduled 定时签章（河南通知三（一）5：每天2次）' }),
    times: z
      .array(
        z
          .string()
          .trim()
          .regex(HHMM, '签章时间应为 HH:MM（00:00–23:59，北京时间）||times: HH:MM, 00:00–23:59 China Standard Time'),
      )
      .max(24, '最多24个签章时间||at most 24 times')
      .refine((t) => new Set(t).size === t.length, '签章时间不能重复||times must not repeat')
      .optional()
      .meta({ description: '定时签章的时间（北京时间），如 ["12:00","18:00"]；定时签章至少2个，实时签章可为空' }),
  })
  .refine((b) => b.mode !== undefined || b.times !== undefined, {
    message: '请提供 mode 或 times||give mode or times',
  })
  .meta({ example: { mode: 'scheduled', times: ['12:00', '18:00'] } });
export type SealingScheduleInput = z.infer<typeof SealingScheduleInput>;

/**
 * Changes an agency's sealing mode and times: audited, with an outbox event, in one transaction. Scheduled mode
 * needs at least two times a day (Henan 三(一)5 “每天2次”).
 */
export async function setSealingSchedule(
  deps: IssuanceDeps,
  agencyId: string,
  input: SealingScheduleInput,
  actor: AuditActor,
): Promise<catalogRepo.AgencyRow> {
  const { ctx } = deps;
  const result = await ctx.store.db.transaction().execute(async (trx) => {
    const a = await scheduleRepo.lockAgency(trx, agencyId);
    if (!a) throw new DomainError('AGENCY_NOT_FOUND', '登记机构不存在', 'Agency not found', 'agencyId');
    const mode = input.mode ?? a.sealing_mode;
    const times = [...(input.times ?? a.sealing_times)].sort();
    if (mode === 'scheduled' && times.length < 2)
      throw new DomainError(
        'TOO_FEW_SEALING_TIMES',
        '定时签章每天至少2次（河南通知三（一）5）',
        'Scheduled sealing runs at least twice a day (Henan notice 三(一)5)',
        'times',
      );
    const now = ctx.now();
    await scheduleRepo.updateSchedule(trx, agencyId, mode, times, now);
    // The latest time of the new schedule counts as done: a change does not fire a batch by itself.
    const slot = latestDueSlot(now, times);
    if (slot && mode === 'scheduled')
      await scheduleRepo.claimSlot(trx, {
        agency_id: agencyId,
        slot_at: slot,
        outcome: 'schedule-changed',
        catch_up: false,
      });
    const change = {
      from: { mode: a.sealing_mode, times: a.sealing_times },
      to: { mode, times },
    };
    await appendOutbox(trx, {
      aggregateType: 'agency',
      aggregateId: agencyId,
      eventType: 'agency.sealing-schedule-changed',
      payload: { agencyId, ...change },
    });
    await recordAudit(trx, {
      actor,
      action: 'agency.sealing-schedule',
      objectType: 'agency',
      objectId: agencyId,
      issuingAgencyId: agencyId,
      result: 'success',
      details: change,
    });
    return { mode, pendingNow: mode === 'realtime' && a.sealing_mode !== 'realtime' };
  });
  // Switching to real-time seals what is pending now instead of at the next time.
  if (result.pendingNow && (await repo.countPending(ctx.store.db, agencyId)) > 0) deps.onPending?.(agencyId);
  return (await catalogRepo.findAgency(ctx.store.db, agencyId))!;
}
