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
