// bench/verify's reference server: bare node:http + pg doing the public endpoint's own grouped lookup and a JSON
// answer — no framework, no validation, no rate limit, no audit, no masking. It is NOT the product: it shows how much
// of the gap to pgbench any Node server on the same cores would have, so the product's figure can be read against
// it (started by bench/verify with BARE_URL, BARE_PORT and BARE_WORKERS; see bench/verify.ts).
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import pg from 'pg';
import { PUBLIC_LOOKUP } from '../src/modules/sharing/service.js';

const workers = Number(process.env.BARE_WORKERS ?? '1');
const port = Number(process.env.BARE_PORT);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  process.once('disconnect', () => process.exit(0));
  const pool = new pg.Pool({ connectionString: process.env.BARE_URL, max: 10 });
  type Row = { verify_token: string; identifier: string; certificate_no: string; status: string; location: string };
  let queue: { token: string; done: (r: Row | undefined) => void }[] = [];
  const send = async () => {
    const batch = queue;
    queue = [];
    const r = await pool.query<Row>({ ...PUBLIC_LOOKUP, values: [batch.map((w) => w.token)] });
    const rows = new Map(r.rows.map((row) => [row.verify_token, row]));
    for (const w of batch) w.done(rows.get(w.token));
  };
  createServer(async (req, res) => {
    const token = (req.url ?? '').slice('/api/v1/verify/'.length);
    const row = await new Promise<Row | undefined>((done) => {
      if (queue.push({ token, done }) === 1) setImmediate(() => void send());
    });
    const body = JSON.stringify(
      row ? { identifier: row.identifier, certificateNo: row.certificate_no, status: row.status } : {},
    );
    res.writeHead(row ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }).listen(port, '127.0.0.1');
}
