// The audit writer thread (audit-writer-thread.ts starts it): an AuditBuffer over its own connections to the
// PostgreSQL server, fed with entries by the HTTP thread. Chain hashing, serialisation and the appends run here, so
// the thread that answers public verification only queues its entries (issue 7, bench/verify).
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../store/database.js';
import { AuditBuffer } from './audit.js';
import type { FromAuditWriter, ToAuditWriter, WriterSetup } from './audit-writer-thread.js';

const setup = workerData as WriterSetup;
const port = parentPort;
if (!port) throw new Error('audit-writer runs as a worker thread');
const send = (m: FromAuditWriter) => port.postMessage(m);
const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

// Two connections: appends never overlap (the buffer chains them), the second serves a retry after a broken socket.
const store = await openStore({
  databaseUrl: setup.databaseUrl,
  poolSize: 2,
  onConnectionError: (e) => send({ type: 'error', message: describe(e) }),
});
const buffer = new AuditBuffer(store.db, {
  ...setup.options,
  onError: (e) => send({ type: 'error', message: describe(e) }),
  onWritten: (n) => send({ type: 'written', n }),
});

port.on('message', (m: ToAuditWriter) => {
  switch (m.type) {
    case 'add':
      for (const e of m.entries) buffer.add(e);
      break;
    case 'flush':
      void buffer.flush().then(() => send({ type: 'flushed', id: m.id }));
      break;
    case 'close':
      void buffer
        .close()
        .then(async (lost) => {
          await store.close();
          send({ type: 'closed', id: m.id, lost });
        })
        .catch((e) => send({ type: 'closed', id: m.id, lost: buffer.waiting, message: describe(e) }));
      break;
  }
});
