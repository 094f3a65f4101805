import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads.js';
import type { Sm2PrivateKey } from './sm2.js';

/**
 * The local key store's signing thread: it signs with the store's SM2 keys for whoever holds one of its ports, so a
 * render worker (src/documents/pool.ts) gets its seal signatures without a round trip through the main thread —
 * whose event loop the embedded database holds for long stretches while a stock import records rows (issue 6).
 * The thread is part of the key store: it receives a key once, decrypted in this process, and never hands it on.
 * It starts with the first port asked for and does not keep the process alive.
 */
export type ToSigningThread =
  | { readonly type: 'key'; readonly keyRef: string; readonly pkcs8: Uint8Array }
  | { readonly type: 'port'; readonly keyRef: string; readonly port: MessagePort };

/** On a signing port: the bytes to sign (the signer adds Z_A with the default ID, as Sm2Signer.sign does). */
export interface SignRequest {
  readonly reqId: number;
  readonly data: Uint8Array;
}
export type SignReply =
  | { readonly reqId: number; readonly signature: Uint8Array }
  | { readonly reqId: number; readonly error: string };

export class SigningThread {
  private worker: Worker | undefined;
  private readonly sent = new Set<string>();

  /** A new port that signs with `key`: one per holder, transferred to it. */
  connect(keyRef: string, key: Sm2PrivateKey): MessagePort {
    const w = this.start();
    if (!this.sent.has(keyRef)) {
      w.postMessage({ type: 'key', keyRef, pkcs8: key.toPkcs8Der() } satisfies ToSigningThread);
      this.sent.add(keyRef);
    }
    const { port1, port2 } = new MessageChannel();
    w.postMessage({ type: 'port', keyRef, port: port2 } satisfies ToSigningThread, [port2]);
    return port1;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker(import.meta.url, 'signing-worker');
    // Should the thread ever stop, its ports close and their holders sign the other way (render-worker.ts); the next
    // port asked for starts a new thread.
    const forget = () => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.sent.clear();
    };
    w.on('error', forget);
    w.on('exit', forget);
    w.unref();
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.sent.clear();
    await w?.terminate();
  }
}
