/**
 * Pure rules of city → province synchronisation (docs/sync.md). No I/O: delivery, signing and storage live in
 * src/modules/sync.
 */

/** China Standard Time has no daylight saving: UTC+8 all year. */
const CST_OFFSET_MS = 8 * 3600_000;

/** The calendar day in China Standard Time, `YYYY-MM-DD` — the unit of reconciliation (per city and day). */
export function cstDay(d: Date): string {
  return new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** `HH:MM` in China Standard Time. */
export function cstClock(d: Date): string {
  return new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(11, 16);
}

/**
 * Scheduled mode (Henan 三(一)3: 更新频率不低于每天2次): the configured time slot that is due at `now` and has not run
 * yet today. A slot stays due for `graceMinutes` after its time so a busy or briefly stopped node still runs it once.
 */
export function dueSlot(
  now: Date,
  times: readonly string[],
  done: ReadonlySet<string>,
  graceMinutes = 30,
): string | undefined {
  const day = cstDay(now);
  const clock = cstClock(now);
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const nowMin = minutes(clock);
  for (const t of [...times].sort()) {
    const key = `${day} ${t}`;
    const m = minutes(t);
    if (nowMin >= m && nowMin < m + graceMinutes && !done.has(key)) return key;
  }
  return undefined;
}

/**
 * Retry delay after `failures` consecutive failures: exponential from `baseMs`, capped at `maxMs`, with "full jitter"
 * between half and the whole delay so that cities cut off together do not return in lock-step.
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Whether a region code lies in one of the prefixes (an empty prefix list covers nothing; `''` covers everything). */
export function inRegions(regionCode: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => regionCode.startsWith(p));
}

/** `child ⊆ parent` as region prefixes: each requested prefix lies inside a granted one. */
export function regionsWithin(child: readonly string[], parent: readonly string[]): boolean {
  return child.every((c) => parent.some((p) => c.startsWith(p)));
}

/**
 * The line a certificate contributes to a day's reconciliation digest: identifier, status and identifier version. Both
 * sides sort the lines by identifier and hash their concatenation, so equal digests mean equal sets.
 */
export function reconciliationLine(identifier: string, status: string, version: number): string {
  return `${identifier}|${status}|${version}\n`;
}

/** Highest seq up to which every seq from 1 is present, given the current value and newly seen seqs. */
export function contiguousUpTo(current: bigint, seen: ReadonlySet<bigint>): bigint {
  let c = current;
  while (seen.has(c + 1n)) c += 1n;
  return c;
}
