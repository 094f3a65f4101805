import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { SignReply, SignRequest } from '../crypto/signing-thread.js';
import { Sm2PublicKey, type Sm2Signer } from '../crypto/sm2.js';
import { FsBlobStore } from '../store/blobs.js';
import { fontChain, subsetFace } from './fonts.js';
import type { FromWorker, SealPart, ToWorker, WorkerSetup } from './pool.js';
import { storeRenderedSync, toWire } from './pool.js';
import { renderCertificate, type SealMaterial } from './render.js';

/**
 * A render worker (pool.ts): draws and seals certificates; the SM2 signature is asked of the key store's signing
 * thread where the seal came with its port, of the pool's thread (which holds the signer) otherwise. Seals arrive
 * once (public parts only) and are kept, at most as many as the pool tracks.
 */
const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread only');

const setup = (workerData ?? {}) as WorkerSetup;
const blobs = setup.blobRoot ? new FsBlobStore(setup.blobRoot) : undefined;

const SEALS = 16;
const seals = new Map<string, SealPart & { readonly key: Sm2PublicKey; readonly port?: SigningPort }>();
let nextReq = 1;
interface PendingSign {
  readonly id: number;
  readonly data: Uint8Array;
  readonly resolve: (s: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}
const pendingSigns = new Map<number, PendingSign>();
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const askPool = (reqId: number, p: PendingSign) => post({ type: 'sign', id: p.id, reqId, data: p.data });

function settle(reqId: number, signature: Uint8Array | undefined, error: string | undefined): void {
  const p = pendingSigns.get(reqId);
  pendingSigns.delete(reqId);
  if (signature) p?.resolve(signature);
  else p?.reject(new Error(`signing failed: ${error ?? 'unknown error'}`));
}

/**
 * The key store's signing thread, reached directly (pool.ts). Should its port close with signatures outstanding
 * (the thread stopped, or the seal was forgotten here), those go to the pool's thread instead, as do later ones.
 */
class SigningPort {
  private readonly waiting = new Set<number>();
  private open = true;
  constructor(private readonly port: MessagePort) {
    port.on('message', (m: SignReply) => {
      this.waiting.delete(m.reqId);
      settle(m.reqId, 'signature' in m ? m.signature : undefined, 'error' in m ? m.error : undefined);
    });
    port.on('close', () => {
      this.open = false;
      for (const reqId of this.waiting) {
        const p = pendingSigns.get(reqId);
        if (p) askPool(reqId, p);
      }
      this.waiting.clear();
    });
  }
  /** False when the port is closed: the caller asks the pool's thread. */
  send(reqId: number, data: Uint8Array): boolean {
    if (!this.open) return false;
    this.waiting.add(reqId);
    this.port.postMessage({ reqId, data } satisfies SignRequest);
    return true;
  }
  close(): void {
    this.port.close();
  }
}

function remoteSigner(id: number, publicKey: Sm2PublicKey, via: SigningPort | undefined): Sm2Signer {
  return {
    publicKey,
    sign: (data) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const reqId = nextReq++;
        const p: PendingSign = { id, data, resolve, reject };
        pendingSigns.set(reqId, p);
        if (!via?.send(reqId, data)) askPool(reqId, p);
      }),
  };
}

/** An ArrayBuffer that holds exactly these bytes, so it can be transferred without copying anything else. */
function own(u: Uint8Array): Uint8Array {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer ? u : u.slice();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'seal') {
    if (seals.size >= SEALS) {
      // mirrors the pool's bookkeeping
      for (const s of seals.values()) s.port?.close();
      seals.clear();
    }
    seals.get(m.key)?.port?.close();
    seals.set(m.key, {
      ...m.seal,
      key: Sm2PublicKey.fromRaw(m.seal.publicKey),
      ...(m.signPort ? { port: new SigningPort(m.signPort) } : {}),
    });
  } else if (m.type === 'signed') {
    settle(m.reqId, m.signature, m.error);
  } else if (m.type === 'warm') {
    // Loads the fonts (fontkit tables, harfbuzz faces) the first certificate would otherwise wait for.
    for (const role of ['serif', 'serif-bold'] as const) subsetFace(fontChain(role)[0]!, '不动产');
    post({ type: 'warmed' });
  } else {
    const s = seals.get(m.sealKey);
    if (!s) {
      post({ type: 'error', id: m.id, error: { message: `seal ${m.sealKey} was not sent to this worker` } });
      return;
    }
    const seal: SealMaterial = {
      sealDer: s.sealDer,
      signerCertDer: s.signerCertDer,
      picturePng: s.picturePng,
      signer: remoteSigner(m.id, s.key, s.port),
    };
    const store = m.store;
    renderCertificate({ ...m.options, seal })
      .then((r) => {
        if (store) {
          if (!blobs) throw new Error('render worker: no blob store (the pool has no blobRoot)');
          // The blob store names files by SM3, which renderCertificate computed here, off the pool's thread.
          post({ type: 'done', id: m.id, result: storeRenderedSync(blobs, r) });
          return;
        }
        const ofd = own(r.ofd);
        const pdf = own(r.pdf);
        const result = { ofd, pdf, pages: r.pages, ofdSm3: r.ofdSm3, pdfSm3: r.pdfSm3 };
        post({ type: 'done', id: m.id, result }, [ofd.buffer as ArrayBuffer, pdf.buffer as ArrayBuffer]);
      })
      .catch((e: unknown) => post({ type: 'error', id: m.id, error: toWire(e) }));
  }
});
