import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { AgencyRow } from '../catalog/repository.js';
import type { SealScheduleSlotTable } from '../register/tables.js';

type Db = Kysely<Database> | Transaction<Database>;
type Outcome = SealScheduleSlotTable['outcome'];

export async function hasAnySlot(db: Db, agencyId: string): Promise<boolean> {
  const r = await db
    .selectFrom('seal_schedule_slots')
    .select('agency_id')
    .where('agency_id', '=', agencyId)
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

/** Inserts the row of a due time unless one exists; true when this call inserted it (and so owns the time). */
export async function claimSlot(
  db: Db,
  row: { agency_id: string; slot_at: Date; outcome: Outcome; catch_up: boolean },
): Promise<boolean> {
  const r = await db
    .insertInto('seal_schedule_slots')
    .values({ ...row, batch_id: null })
    .onConflict((oc) => oc.columns(['agency_id', 'slot_at']).doNothing())
    .returning('agency_id')
    .executeTakeFirst();
  return r !== undefined;
}

/** A claim whose node stopped before its batch started (older than `staleBefore`) is taken over by one node. */
export async function retakeStaleClaim(
  db: Db,
  agencyId: string,
  slotAt: Date,
  staleBefore: Date,
  now: Date,
): Promise<boolean> {
  const r = await db
    .updateTable('seal_schedule_slots')
    .set({ created_at: now })
    .where('agency_id', '=', agencyId)
    .where('slot_at', '=', slotAt)
    .where('outcome', '=', 'claimed')
    .where('created_at', '<', staleBefore)
    .returning('agency_id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function settleSlot(
  db: Db,
  agencyId: string,
  slotAt: Date,
  outcome: SealScheduleSlotTable['outcome'],
  batchId: string | null,
): Promise<void> {
  await db
    .updateTable('seal_schedule_slots')
    .set({ outcome, batch_id: batchId })
    .where('agency_id', '=', agencyId)
    .where('slot_at', '=', slotAt)
    .execute();
}

export async function lockAgency(db: Db, id: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateSchedule(
  db: Db,
  id: string,
  mode: 'scheduled' | 'realtime',
  times: readonly string[],
  now: Date,
): Promise<void> {
  await db
    .updateTable('agencies')
    .set({ sealing_mode: mode, sealing_times: JSON.stringify(times), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function slotsOf(db: Db, agencyId: string) {
  return db
    .selectFrom('seal_schedule_slots')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .orderBy('slot_at')
    .execute();
}
