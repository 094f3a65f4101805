import type { Worker } from 'node:worker_threads';
import type { Store } from '../../store/database.js';
import { spawnWorker } from '../../threads.js';
import { AuditBuffer, type AuditBufferOptions, type AuditEntryInput, type AuditSink } from './audit.js';

/** What the writer thread is started with (workerData). */
export interface WriterSetup {
  readonly databaseUrl: string;
  readonly options: Omit<AuditBufferOptions, 'onError' | 'onWritten'>;
}
export type ToAuditWriter =
  | { readonly type: 'add'; readonly entries: readonly AuditEntryInput[] }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };
export type FromAuditWriter =
  | { readonly type: 'written'; readonly n: number }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'flushed'; readonly id: number }
  | { readonly type: 'closed'; readonly id: number; readonly lost: number; readonly message?: string };

export interface AuditWriterThreadOptions extends Omit<AuditBufferOptions, 'onWritten'> {
  /** The PostgreSQL server the thread appends to (its own two connections). */
  readonly databaseUrl: string;
}

/**
 * An AuditSink that appends on a thread of its own (audit-writer.ts runs an AuditBuffer there). Public verification
 * answers thousands of scans a second on one HTTP thread, and building, hashing and sending their audit rows was a
 * quarter of that thread's CPU (98–103 → 74–80 µs per request) and stalled it for milliseconds per batch (bench/verify, docs/verification.md); here
 * the HTTP thread only hands its entries over, once per turn of its event loop.
 *
 * For a PostgreSQL server only: the embedded PGlite belongs to one thread, which keeps the in-thread AuditBuffer.
 * Same promises as AuditBuffer: nothing is dropped while the database refuses writes (`accepting` turns false past
 * `maxPending` and the caller refuses service); what a crash can lose is what waits in memory. Should the thread
 * itself stop, what it held is reported through `onError` as lost, and a new thread takes the queue after a pause.
 */
export class AuditWriterThread implements AuditSink {
  private worker: Worker | undefined;
  private outbox: AuditEntryInput[] = [];
  private posting = false;
  /** Entries handed to the thread and not yet reported written. */
  private inThread = 0;
  private closed = false;
  /** Unexpected stops of the thread since it last wrote: a new one starts after a growing pause. */
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly replies = new Map<number, (lost: number) => void>();
  private readonly maxPending: number;

  constructor(private readonly opts: AuditWriterThreadOptions) {
    this.maxPending = opts.maxPending ?? 50_000;
  }

  get accepting(): boolean {
    return !this.closed && this.waiting < this.maxPending;
  }

  get waiting(): number {
    return this.outbox.length + this.inThread;
  }

  add(entry: AuditEntryInput): void {
    // The time of the access, not of the append (AuditBuffer would stamp it when the thread receives it).
    this.outbox.push(entry.at ? entry : { ...entry, at: new Date() });
    this.restartTimer?.ref();
    if (this.posting) return;
    this.posting = true;
    setImmediate(() => this.post());
  }

  flush(): Promise<void> {
    return this.ask('flush').then(() => undefined);
  }

  async close(): Promise<number> {
    if (this.closed) return 0;
    this.closed = true; // from here `accepting` is false: the last entries are the ones already queued
    const lost = this.worker || this.outbox.length ? await this.ask('close') : 0;
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
    return lost;
  }

  /** One message per turn of the event loop with every entry queued meanwhile (one structured clone, not many). */
  private post(): void {
    this.posting = false;
    // While a stopped thread's replacement waits for its pause, entries stay here (and count in `waiting`).
    if (this.outbox.length === 0 || this.restartTimer) return;
    const entries = this.outbox;
    this.outbox = [];
    this.inThread += entries.length;
    this.start().postMessage({ type: 'add', entries } satisfies ToAuditWriter);
    this.updateRef();
  }

  /**
   * The thread keeps the process alive only while it holds entries or owes an answer: an idle writer must not stop
   * the process from ending, a busy one must not be cut off with entries unwritten.
   */
  private updateRef(): void {
    if (!this.worker) return;
    if (this.inThread > 0 || this.replies.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private ask(type: 'flush' | 'close'): Promise<number> {
    // Asked to write now: no pause before a new thread.
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.post();
    const w = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      w.postMessage({ type, id } satisfies ToAuditWriter);
      this.updateRef();
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { databaseUrl, onError: _onError, ...options } = this.opts;
    // The thread must never refuse an entry: refusing is the HTTP thread's decision, made on `accepting`.
    const setup: WriterSetup = { databaseUrl, options: { ...options, maxPending: Number.MAX_SAFE_INTEGER } };
    const w = spawnWorker(import.meta.url, 'audit-writer', setup);
    w.on('message', (m: FromAuditWriter) => this.onMessage(m));
    const stopped = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      const lost = this.inThread;
      this.inThread = 0;
      if (!this.closed && lost > 0)
        this.opts.onError?.(new Error(`audit writer thread stopped (${why}); ${lost} entries were not written`));
      for (const reply of this.replies.values()) reply(lost);
      this.replies.clear();
      if (this.closed) return;
      // A thread that cannot run (say, it cannot load) must not be restarted on every turn of the event loop: the
      // pause grows to 10 s, entries wait meanwhile, and past maxPending the route refuses scans instead.
      this.failures++;
      this.restartTimer = setTimeout(
        () => {
          this.restartTimer = undefined;
          this.post();
        },
        Math.min(100 * 2 ** (this.failures - 1), 10_000),
      );
      // The pause holds the process only while entries wait for it (add() refs it again).
      if (this.outbox.length === 0) this.restartTimer.unref();
    };
    w.on('error', (e) => stopped(e.message));
    w.on('exit', (code) => stopped(`exit ${code}`));
    this.worker = w;
    return w;
  }

  private onMessage(m: FromAuditWriter): void {
    switch (m.type) {
      case 'written':
        this.inThread -= m.n;
        this.failures = 0;
        this.updateRef();
        break;
      case 'error':
        this.opts.onError?.(new Error(m.message));
        break;
      case 'flushed':
      case 'closed': {
        const reply = this.replies.get(m.id);
        this.replies.delete(m.id);
        if (m.type === 'closed' && m.message) this.opts.onError?.(new Error(m.message));
        reply?.(m.type === 'closed' ? m.lost : 0);
        this.updateRef();
        break;
      }
    }
  }
}

/**
 * The sink for audited reads without a transaction of their own (public verification): on a PostgreSQL server a
 * writer thread, on the embedded PGlite — which belongs to this thread — the in-thread AuditBuffer.
 */
export function openAuditSink(
  store: Store,
  databaseUrl: string | undefined,
  opts: Omit<AuditBufferOptions, 'onWritten'> = {},
): AuditSink {
  return store.kind === 'postgres' && databaseUrl
    ? new AuditWriterThread({ ...opts, databaseUrl })
    : new AuditBuffer(store.db, opts);
}
