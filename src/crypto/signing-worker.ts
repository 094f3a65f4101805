import { type MessagePort, parentPort } from 'node:worker_threads';
import type { SignReply, SignRequest, ToSigningThread } from './signing-thread.js';
import { Sm2PrivateKey } from './sm2.js';

/** The signing thread (signing-thread.ts): keys arrive once, then each port signs with its key. */
const parent = parentPort;
if (!parent) throw new Error('signing-worker.ts runs as a worker thread only');

const keys = new Map<string, Sm2PrivateKey>();

function serve(port: MessagePort, keyRef: string): void {
  port.on('message', (r: SignRequest) => {
    let reply: SignReply;
    try {
      const key = keys.get(keyRef);
      if (!key) throw new Error(`key ${keyRef} was not given to the signing thread`);
      reply = { reqId: r.reqId, signature: key.sign(r.data) };
    } catch (e) {
      reply = { reqId: r.reqId, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}

parent.on('message', (m: ToSigningThread) => {
  if (m.type === 'key') keys.set(m.keyRef, Sm2PrivateKey.fromPkcs8Der(m.pkcs8));
  else serve(m.port, m.keyRef);
});
