import { availableParallelism } from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { sm3Hex } from '../crypto/sm3.js';
import { DomainError } from '../domain/problem.js';
import { FsBlobStore } from '../store/blobs.js';
import { spawnWorker } from '../threads.js';
import { type RenderCertificateOptions, type RenderedCertificate, renderCertificate } from './render.js';

/**
 * Renders certificates on worker threads so that every core draws (issue 5: ≥ 200/s on 2 cores). A worker does all
 * of the CPU work — QR codes, layout, font subsets, OFD, SM3 references, zip, PDF — except the SM2 signature itself:
 * when the sealer needs SignedValue.dat, the worker sends the bytes to be signed (DER of TBS_Sign) to the signer and
 * gets the signature back. Where the seal's signer offers a signing port (`Sm2Signer.connect`: the local key store's
 * signing thread) the worker asks it directly; otherwise it asks this thread, which signs with the SealMaterial's
 * signer. Private keys therefore never leave the key store, and a remote signing server or crypto device
 * (HttpKeyStore) works unchanged. Workers get the seal's public parts (SESeal, certificate, picture) and its port
 * once per seal and keep them.
 *
 * Each worker has up to PER_WORKER certificates in flight, so it draws the next one while this thread signs.
 * A crashed worker fails only its own certificates (the sealing loop retries them) and is replaced.
 */
export interface RenderPool {
  readonly size: number;
  render(o: RenderCertificateOptions): Promise<RenderedCertificate>;
  /**
   * Renders and writes both files into the blob store at the pool's `blobRoot`, on the worker: the 330 KB of a
   * certificate never cross to this thread, whose heap then has no large buffers to collect (with them, its major
   * GCs cost ~1 ms per certificate). Rejects when the pool has no `blobRoot`.
   */
  renderToStore(o: RenderCertificateOptions): Promise<StoredCertificate>;
  /** Starts the workers' fonts loading now rather than on the first certificate. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** A certificate whose files are in the blob store: their names (SM3) and sizes. */
export interface StoredCertificate {
  readonly pages: number;
  readonly ofdSm3: string;
  readonly pdfSm3: string;
  readonly ofdBytes: number;
  readonly pdfBytes: number;
}

// ---- messages (the worker side is render-worker.ts) ----
export interface SealPart {
  readonly sealDer: Uint8Array;
  readonly signerCertDer: Uint8Array;
  readonly picturePng: Uint8Array;
  /** Uncompressed SM2 public key of the signer (65 bytes). */
  readonly publicKey: Uint8Array;
}
export type ToWorker =
  | {
      readonly type: 'seal';
      readonly key: string;
      readonly seal: SealPart;
      /** The key store's signing port for this seal's key (Sm2Signer.connect), when it has one. */
      readonly signPort?: MessagePort;
    }
  | {
      readonly type: 'render';
      readonly id: number;
      readonly sealKey: string;
      readonly options: Omit<RenderCertificateOptions, 'seal'>;
      /** Write the files to the worker's blob store and answer with a StoredCertificate. */
      readonly store: boolean;
    }
  | { readonly type: 'signed'; readonly reqId: number; readonly signature?: Uint8Array; readonly error?: string }
  | { readonly type: 'warm' };
export interface WireError {
  readonly message: string;
  readonly code?: string;
  readonly messageEn?: string;
  readonly field?: string;
  readonly stack?: string;
}
export type FromWorker =
  | { readonly type: 'sign'; readonly id: number; readonly reqId: number; readonly data: Uint8Array }
  | { readonly type: 'done'; readonly id: number; readonly result: RenderedCertificate | StoredCertificate }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  | { readonly type: 'warmed' };

export function toWire(e: unknown): WireError {
  if (e instanceof DomainError)
    return {
      message: e.message,
      code: e.code,
      messageEn: e.messageEn,
      ...(e.field ? { field: e.field } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  if (e instanceof Error) return { message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { message: String(e) };
}

function fromWire(w: WireError): Error {
  const e =
    w.code && w.messageEn !== undefined
      ? new DomainError(w.code, w.message, w.messageEn, w.field)
      : new Error(`render worker: ${w.message}`);
  if (w.stack) e.stack = w.stack;
  return e;
}

/**
 * One worker per core: the default when the caller passes no size (the configured BDCERT_RENDER_WORKERS, read by
 * src/config.ts, is passed in by the issuance module).
 */
export function defaultPoolSize(): number {
  return availableParallelism();
}

/** What a worker starts with (workerData). */
export interface WorkerSetup {
  readonly blobRoot?: string;
}

const spawn = (setup: WorkerSetup) => spawnWorker(import.meta.url, 'render-worker', setup);

interface Task {
  readonly id: number;
  readonly options: RenderCertificateOptions;
  readonly sealKey: string;
  readonly store: boolean;
  readonly resolve: (r: RenderedCertificate | StoredCertificate) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  readonly seals: Set<string>;
  readonly inFlight: Map<number, Task>;
  warmed?: () => void;
}

/**
 * Certificates in flight per worker. A worker gets its next certificate from the pool's thread when one finishes,
 * and during a stock import that thread is busy for stretches recording rows (PGlite runs on it), so each worker
 * keeps several to draw meanwhile. Measured with 2 workers signing through the key store's thread (bench/stock,
 * 2026-12-04): N = 20,000: three in flight 276–285/s end to end (137/s sealed beside the import), eight 292/s
 * (212/s beside it); N = 100,000: three 269.1/s, eight 294.9/s, peak RSS 1,248 → 1,357 MiB.
 */
export const PER_WORKER = 8;
const SEALS_PER_WORKER = 16;

/** Key of a seal's public parts: by object identity first, the SESeal's digest otherwise (content-addressed). */
const sealKeys = new WeakMap<Uint8Array, string>();
function sealKeyOf(sealDer: Uint8Array): string {
  let k = sealKeys.get(sealDer);
  if (!k) {
    k = sm3Hex(sealDer);
    sealKeys.set(sealDer, k);
  }
  return k;
}

/** Writes a rendered certificate's files into `blobs` on this thread's event loop (the pool of size 0). */
export async function storeRendered(blobs: FsBlobStore, r: RenderedCertificate): Promise<StoredCertificate> {
  await Promise.all([blobs.put(r.ofd, r.ofdSm3), blobs.put(r.pdf, r.pdfSm3)]);
  return storedOf(r);
}

/** The same from a render worker, with synchronous file calls (FsBlobStore.putSync says why). */
export function storeRenderedSync(blobs: FsBlobStore, r: RenderedCertificate): StoredCertificate {
  blobs.putSync(r.ofd, r.ofdSm3);
  blobs.putSync(r.pdf, r.pdfSm3);
  return storedOf(r);
}

function storedOf(r: RenderedCertificate): StoredCertificate {
  return { pages: r.pages, ofdSm3: r.ofdSm3, pdfSm3: r.pdfSm3, ofdBytes: r.ofd.length, pdfBytes: r.pdf.length };
}

const noBlobStore = () => Promise.reject(new Error('render pool: renderToStore needs a blobRoot'));

/**
 * `blobRoot`: the directory of the FsBlobStore that `renderToStore` writes to — the same directory as the
 * application's blob store (src/modules/services.ts), so a file written by a worker is the file the store reads.
 */
export function createRenderPool(opts: { size?: number; blobRoot?: string } = {}): RenderPool {
  const size = opts.size ?? defaultPoolSize();
  const setup: WorkerSetup = opts.blobRoot ? { blobRoot: opts.blobRoot } : {};
  if (size === 0) {
    const blobs = opts.blobRoot ? new FsBlobStore(opts.blobRoot) : undefined;
    return {
      size,
      render: renderCertificate,
      renderToStore: blobs ? async (o) => storeRendered(blobs, await renderCertificate(o)) : noBlobStore,
      warm: async () => {},
      close: async () => {},
    };
  }
  let nextId = 1;
  let closed = false;
  const queue: Task[] = [];
  const slots: Slot[] = [];

  const start = (slot?: Slot): Slot => {
    const s: Slot = slot ?? { worker: spawn(setup), seals: new Set(), inFlight: new Map() };
    if (slot) s.worker = spawn(setup);
    const w = s.worker;
    w.on('message', (m: FromWorker) => onMessage(s, m));
    w.on('error', (e) => fail(s, e));
    w.on('exit', (code) => {
      if (!closed) fail(s, new Error(`render worker exited (code ${code})`));
    });
    // Idle workers never keep the process alive (a render refs its worker until done). After the listeners: adding a
    // 'message' listener refs the worker's port again.
    w.unref();
    return s;
  };

  const fail = (s: Slot, e: Error) => {
    if (closed) return;
    const tasks = [...s.inFlight.values()];
    s.inFlight.clear();
    s.seals.clear();
    s.worker.removeAllListeners();
    void s.worker.terminate();
    start(s);
    for (const t of tasks) t.reject(e);
    pump();
  };

  const onMessage = (s: Slot, m: FromWorker) => {
    if (m.type === 'warmed') {
      s.warmed?.();
      return;
    }
    const task = s.inFlight.get(m.id);
    if (!task) return;
    if (m.type === 'sign') {
      task.options.seal.signer.sign(m.data).then(
        (signature) => s.worker.postMessage({ type: 'signed', reqId: m.reqId, signature } satisfies ToWorker),
        (e: unknown) =>
          s.worker.postMessage({
            type: 'signed',
            reqId: m.reqId,
            error: e instanceof Error ? e.message : String(e),
          } satisfies ToWorker),
      );
      return;
    }
    s.inFlight.delete(m.id);
    if (s.inFlight.size === 0) s.worker.unref();
    if (m.type === 'done') task.resolve(m.result);
    else task.reject(fromWire(m.error));
    pump();
  };

  const pump = () => {
    while (queue.length) {
      // the least busy worker, if any has room
      let best: Slot | undefined;
      for (const s of slots)
        if (s.inFlight.size < PER_WORKER && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (!best) return;
      const task = queue.shift()!;
      const { seal, ...options } = task.options;
      if (!best.seals.has(task.sealKey)) {
        if (best.seals.size >= SEALS_PER_WORKER) best.seals.clear(); // the worker forgets the same way
        best.seals.add(task.sealKey);
        const part: SealPart = {
          sealDer: seal.sealDer,
          signerCertDer: seal.signerCertDer,
          picturePng: seal.picturePng,
          publicKey: seal.signer.publicKey.toRaw(),
        };
        const signPort = seal.signer.connect?.();
        best.worker.postMessage(
          { type: 'seal', key: task.sealKey, seal: part, ...(signPort ? { signPort } : {}) } satisfies ToWorker,
          signPort ? [signPort] : [],
        );
      }
      best.inFlight.set(task.id, task);
      best.worker.ref();
      best.worker.postMessage({
        type: 'render',
        id: task.id,
        sealKey: task.sealKey,
        options,
        store: task.store,
      } satisfies ToWorker);
    }
  };

  for (let i = 0; i < size; i++) slots.push(start());

  const submit = (options: RenderCertificateOptions, store: boolean) => {
    if (closed) return Promise.reject(new Error('render pool is closed'));
    return new Promise<RenderedCertificate | StoredCertificate>((resolve, reject) => {
      queue.push({ id: nextId++, options, sealKey: sealKeyOf(options.seal.sealDer), store, resolve, reject });
      pump();
    });
  };

  return {
    size,
    render: (options) => submit(options, false) as Promise<RenderedCertificate>,
    renderToStore: opts.blobRoot ? (options) => submit(options, true) as Promise<StoredCertificate> : noBlobStore,
    async warm() {
      await Promise.all(
        slots.map((s) =>
          new Promise<void>((resolve) => {
            s.warmed = resolve;
            s.worker.ref();
            s.worker.postMessage({ type: 'warm' } satisfies ToWorker);
          }).then(() => {
            if (s.inFlight.size === 0) s.worker.unref();
          }),
        ),
      );
    },
    async close() {
      closed = true;
      const err = new Error('render pool is closed');
      for (const t of queue.splice(0)) t.reject(err);
      for (const s of slots) for (const t of s.inFlight.values()) t.reject(err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
