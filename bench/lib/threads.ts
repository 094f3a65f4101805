// CPU time per thread of this process, from /proc/self/task (Linux; elsewhere the split is not printed). Node names
// every thread "node", so threads are told apart by pid and by how busy they were: the main thread is the one whose
// id is the process id, the render workers are the `workers` busiest of the others over the interval, and the rest
// are helpers (V8's GC and compiler threads, libuv's threadpool doing the file writes).
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ: /proc times are in these ticks

export type ThreadTicks = Map<number, number>;

export function threadTicks(): ThreadTicks {
  const out: ThreadTicks = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), Number(f[11]) + Number(f[12])); // utime + stime
    } catch {
      // the thread ended while we read
    }
  }
  return out;
}

/** "main 1.3, workers 3.0 + 3.0, helpers 2.5 ms" (CPU per certificate) over the interval, or '' where /proc is missing. */
export function threadSplit(before: ThreadTicks, after: ThreadTicks, workers: number, n: number): string {
  if (after.size === 0 || n === 0) return '';
  const ms = (ticks: number) => ((ticks / CLK_TCK) * 1000) / n;
  const delta = [...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)] as const);
  const main = delta.find(([tid]) => tid === process.pid)?.[1] ?? 0;
  const others = delta.filter(([tid]) => tid !== process.pid).sort((a, b) => b[1] - a[1]);
  const busiest = others.slice(0, workers).map(([, t]) => ms(t).toFixed(1));
  const rest = others.slice(workers).reduce((s, [, t]) => s + t, 0);
  return `main ${ms(main).toFixed(1)}, workers ${busiest.join(' + ') || '—'}, helpers ${ms(rest).toFixed(1)} ms`;
}
