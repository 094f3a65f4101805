import { parentPort, workerData } from 'node:worker_threads';
import { Sm2PublicKey, type Sm2Signer } from '../crypto/sm2.js';
import { FsBlobStore } from '../store/blobs.js';
import { fontChain, subsetFace } from './fonts.js';
import type { FromWorker, SealPart, ToWorker, WorkerSetup } from './pool.js';
import { storeRenderedSync, toWire } from './pool.js';
import { renderCertificate, type SealMaterial } from './render.js';

/**
 * A render worker (pool.ts): draws and seals certificates; the SM2 signature is asked of the pool's thread, which
 * holds the keys. Seals arrive once (public parts only) and are kept, at most as many as the pool tracks.
 */
const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread only');

const setup = (workerData ?? {}) as WorkerSetup;
const blobs = setup.blobRoot ? new FsBlobStore(setup.blobRoot) : undefined;

const SEALS = 16;
const seals = new Map<string, SealPart & { readonly key: Sm2PublicKey }>();
let nextReq = 1;
const pendingSigns = new Map<number, { resolve: (s: Uint8Array) => void; reject: (e: Error) => void }>();
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

function remoteSigner(id: number, publicKey: Sm2PublicKey): Sm2Signer {
  return {
    publicKey,
    sign: (data) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const reqId = nextReq++;
        pendingSigns.set(reqId, { resolve, reject });
        post({ type: 'sign', id, reqId, data });
      }),
  };
}

/** An ArrayBuffer that holds exactly these bytes, so it can be transferred without copying anything else. */
function own(u: Uint8Array): Uint8Array {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer ? u : u.slice();
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'seal') {
    if (seals.size >= SEALS) seals.clear(); // mirrors the pool's bookkeeping
    seals.set(m.key, { ...m.seal, key: Sm2PublicKey.fromRaw(m.seal.publicKey) });
  } else if (m.type === 'signed') {
    const p = pendingSigns.get(m.reqId);
    pendingSigns.delete(m.reqId);
    if (m.signature) p?.resolve(m.signature);
    else p?.reject(new Error(`signing failed: ${m.error ?? 'unknown error'}`));
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
      signer: remoteSigner(m.id, s.key),
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
