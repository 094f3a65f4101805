import type { Config } from '../../config.js';
import type { Store } from '../../store/database.js';

/**
 * Demo data, created once on the first demo-mode start on an empty database (issue 2 §6). Later contexts add their
 * own steps (agencies, seals, users, certificates) to DEMO_STEPS; each step must be idempotent on its own, so a crash
 * between steps is repaired by the next start.
 */
export interface DemoContext {
  readonly config: Config;
  readonly store: Store;
  /** Lines printed after start: demo sign-ins, sample links. */
  readonly notes: string[];
}

export interface DemoStep {
  readonly name: string;
  run(ctx: DemoContext): Promise<void>;
}

export const DEMO_STEPS: DemoStep[] = [];

const MARK = 'demo.seeded_at';

export async function seedDemo(config: Config, store: Store): Promise<{ created: boolean; notes: string[] }> {
  if (config.mode !== 'demo') return { created: false, notes: [] }; // production never gets demo data
  const ctx: DemoContext = { config, store, notes: [] };
  const done = await store.db.selectFrom('app_meta').select('value').where('key', '=', MARK).executeTakeFirst();
  for (const step of DEMO_STEPS) await step.run(ctx); // idempotent steps also print their notes on later starts
  if (!done) {
    await store.db
      .insertInto('app_meta')
      .values({ key: MARK, value: new Date().toISOString() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  return { created: !done, notes: ctx.notes };
}
