import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export interface OutboxEvent {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: unknown;
}

/** Append an event; call it with the transaction that makes the change so both commit or neither does. */
export async function appendOutbox(trx: Transaction<Database> | Kysely<Database>, e: OutboxEvent): Promise<string> {
  const row = await trx
    .insertInto('outbox')
    .values({
      aggregate_type: e.aggregateType,
      aggregate_id: e.aggregateId,
      event_type: e.eventType,
      payload: JSON.stringify(e.payload),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Several events in one statement, in the order given (ids follow it); same transaction rule as appendOutbox. */
export async function appendOutboxMany(
  trx: Transaction<Database> | Kysely<Database>,
  events: readonly OutboxEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      events.map((e) => ({
        aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId,
        event_type: e.eventType,
        payload: JSON.stringify(e.payload),
      })),
    )
    .execute();
}
