// bench/sync — city → province synchronisation between two separate processes on loopback, each with its own
// database. Phase 1, steady load: BENCH_RATE register entries per second for BENCH_SECONDS, sealed by a clerk's batch
// every second (real-time mode relay); prints certificates/s reaching the province and the lag, p50/p99, from issue to
// province visibility. Phase 2, catch-up: the city is cut off (TCP proxy) while BENCH_N entries are recorded, then
// reconnected; prints how fast the backlog drains. BENCH_PG_URL (an admin URL) runs each node on its own fresh
// PostgreSQL database; otherwise each node has its own embedded PGlite.
//   npm run bench -- sync
//   BENCH_RATE=20 BENCH_SECONDS=60 BENCH_N=2000 BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- sync
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { api, CutProxy, login, makeNode, type Node, start, stop, upstream } from '../test/sync/processes.js';
import { entry, freePort } from '../test/sync/support.js';

const RATE = Number(process.env.BENCH_RATE ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const N = Number(process.env.BENCH_N ?? 500);
if (process.env.BENCH_PG_URL) process.env.BDCERT_TEST_PG_URL = process.env.BENCH_PG_URL;
else delete process.env.BDCERT_TEST_PG_URL;

const AGENCY = { name: '潢川县自然资源局', uscc: '11411526MB1A00028N' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : Number.NaN;
};

interface LibraryItem {
  identifier: string;
  status: string;
  sealedAt: string | null;
  sourceCreatedAt: string;
  firstSeenAt: string;
}

let province: Node | undefined;
let city: Node | undefined;
let proxy: CutProxy | undefined;
try {
  province = await makeNode('henan', 'province', { BDCERT_NODE_NAME: '河南省电子证照系统', LOG_LEVEL: 'error' });
  const proxyPort = await freePort();
  proxy = new CutProxy(proxyPort, province.port);
  await proxy.listen();
  city = await makeNode('city-4115', 'city', {
    BDCERT_PROVINCE_URL: `http://127.0.0.1:${proxyPort}`,
    BDCERT_SYNC_RETRY_MAX_MS: '1000',
    BDCERT_SYNC_POLL_MS: '250',
    LOG_LEVEL: 'error',
  });
  await Promise.all([start(province), start(city)]);
  const pAdmin = await login(province, 'province-admin');
  const cAdmin = await login(city, '411526-admin');
  const registrar = await login(city, '411526-registrar');
  const sealer = await login(city, '411526-sealer');
  const t = await api<{ token: string }>(province, pAdmin, '/api/v1/sync/enrolment-tokens', {
    label: 'bench',
    regionCodes: ['4115'],
  });
  await api(city, cAdmin, '/api/v1/sync/join', { token: t.token });
  const p = province;
  const c = city;
  let n = 0;
  const record = async () => {
    const i = ++n;
    const r = await api<{ outcome: { identifier: string } }>(
      c,
      registrar,
      '/api/v1/register/entries',
      entry({
        businessNo: `B${String(i).padStart(8, '0')}`,
        regionCode: '411526',
        agencyName: AGENCY.name,
        agencyCode: AGENCY.uscc,
        n: i,
      }),
    );
    return r.outcome.identifier;
  };
  // Batch sealing asks for a step-up where that is built (issue 8; 5 minutes); a build without the route answers 404.
  const stepUp = () =>
    fetch(`${c.url}/api/v1/auth/step-up`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sealer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: c.passwords.get('411526-sealer') }),
    });
  /** One clerk sealing: a batch, wait for it to finish, the next one a second after. */
  const sealOnce = async () => {
    let b: { id: string } | undefined;
    try {
      b = await api<{ id: string }>(c, sealer, '/api/v1/seal-batches', {});
    } catch (e) {
      if (!/STEP_UP_REQUIRED/.test(String(e))) throw e;
      await stepUp();
      b = await api<{ id: string }>(c, sealer, '/api/v1/seal-batches', {});
    }
    while ((await api<{ status: string }>(c, sealer, `/api/v1/seal-batches/${b.id}`)).status === 'running')
      await sleep(200);
  };
  const libraryAll = async (status?: string): Promise<LibraryItem[]> => {
    const out: LibraryItem[] = [];
    for (let page = 1; ; page++) {
      const q = `pageSize=500&page=${page}${status ? `&status=${status}` : ''}`;
      const r = await api<{ total: number; items: LibraryItem[] }>(p, pAdmin, `/api/v1/sync/library/certificates?${q}`);
      out.push(...r.items);
      if (out.length >= r.total || r.items.length === 0) return out;
    }
  };

  // ---- phase 1: steady issuance, sealed every second ----
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (2 cores shared with other work)`,
  );
  console.log(`phase 1: ${RATE} entries/s for ${SECONDS} s, a seal batch every second (real-time relay)`);
  const issued = new Set<string>();
  const issuedSeen = new Map<string, number>(); // identifier → first time the province showed it issued (ms)
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const now = Date.now();
      for (const x of await libraryAll('issued'))
        if (x.status === 'issued' && !issuedSeen.has(x.identifier)) issuedSeen.set(x.identifier, now);
      await sleep(100);
    }
  })();
  let sealing = true;
  const sealer_ = (async () => {
    while (sealing) {
      await sealOnce();
      await sleep(1000);
    }
  })();
  // BENCH_TRACE=1: the city's sync status every 2 s (where a lag comes from).
  const tracer = process.env.BENCH_TRACE
    ? setInterval(() => {
        void api<{ upstream: Record<string, unknown> & { backlog: unknown } }>(c, cAdmin, '/api/v1/sync/status').then(
          (st) => {
            const u = st.upstream;
            console.log(
              `    trace: last ${u.lastSeq} acked ${u.ackedSeq} lag ${u.lagMessages} msgs ${Number(u.lagSeconds).toFixed(1)} s backlog ${JSON.stringify(u.backlog)} failures ${u.consecutiveFailures} ${u.lastError ?? ''}`,
            );
          },
          () => undefined,
        );
      }, 2000)
    : undefined;
  const t0 = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = t0 + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    inflight.push(record().then((id) => void issued.add(id)));
  }
  await Promise.all(inflight);
  const tIssued = Date.now();
  const tRecorded = Date.now();
  // Let the last batches seal and arrive (the sealer is slower than the relay; this is not sync time).
  for (let i = 0; i < 1500 && [...issued].some((id) => !issuedSeen.has(id)); i++) await sleep(200);
  sealing = false;
  polling = false;
  if (tracer) clearInterval(tracer);
  await Promise.all([poller, sealer_]);
  console.log(`  sealing finished ${((Date.now() - tRecorded) / 1000).toFixed(1)} s after the last entry`);
  const lib = new Map((await libraryAll()).map((x) => [x.identifier, x]));
  const visibleLag: number[] = [];
  const issuedLag: number[] = [];
  for (const id of issued) {
    const x = lib.get(id);
    if (!x) continue;
    visibleLag.push((Date.parse(x.firstSeenAt) - Date.parse(x.sourceCreatedAt)) / 1000);
    const seen = issuedSeen.get(id);
    if (seen && x.sealedAt) issuedLag.push((seen - Date.parse(x.sealedAt)) / 1000);
  }
  const firstSeen = [...issued].map((id) => Date.parse(lib.get(id)?.firstSeenAt ?? '')).filter(Number.isFinite);
  const span = (Math.max(...firstSeen) - Math.min(...firstSeen)) / 1000;
  console.log(
    `  recorded ${issued.size} in ${((tIssued - t0) / 1000).toFixed(1)} s; at the province: ${firstSeen.length}, issued ${issuedLag.length}`,
  );
  console.log(
    `  throughput city → province: ${(firstSeen.length / span).toFixed(1)} certificates/s (offered ${RATE}/s)`,
  );
  console.log(
    `  lag, recorded at the city → catalog + face data at the province: p50 ${pct(visibleLag, 50).toFixed(2)} s, p99 ${pct(visibleLag, 99).toFixed(2)} s, max ${Math.max(...visibleLag).toFixed(2)} s`,
  );
  console.log(
    `  lag, sealed at the city → issued at the province (client poll every 100 ms): p50 ${pct(issuedLag, 50).toFixed(2)} s, p99 ${pct(issuedLag, 99).toFixed(2)} s`,
  );

  // ---- phase 2: a backlog after a cut-off ----
  console.log(`phase 2: the city is cut off while ${N} entries are recorded, then reconnected`);
  proxy.cut();
  const backlog: string[] = [];
  for (let i = 0; i < N; i += 8)
    backlog.push(...(await Promise.all(Array.from({ length: Math.min(8, N - i) }, record))));
  const u = await upstream(c, cAdmin);
  console.log(`  backlog before reconnecting: ${u.lagMessages} messages`);
  const tRestore = Date.now();
  proxy.restore();
  for (;;) {
    const s = await upstream(c, cAdmin);
    if (s.lagMessages === 0 && s.ackedSeq === s.lastSeq) break;
    await sleep(100);
  }
  const tDrained = Date.now();
  const lib2 = new Map((await libraryAll()).map((x) => [x.identifier, x]));
  const seen2 = backlog.map((id) => Date.parse(lib2.get(id)?.firstSeenAt ?? '')).filter(Number.isFinite);
  const span2 = (Math.max(...seen2) - Math.min(...seen2)) / 1000;
  console.log(
    `  drained ${seen2.length}/${N} in ${((tDrained - tRestore) / 1000).toFixed(1)} s after reconnecting (incl. up to 1 s of back-off)`,
  );
  console.log(
    `  throughput while draining (province's first-seen times): ${(seen2.length / span2).toFixed(1)} certificates/s`,
  );
  console.log(
    `  backend: ${process.env.BDCERT_TEST_PG_URL ? 'PostgreSQL (one database per node)' : 'PGlite (one per node)'}`,
  );
} finally {
  await proxy?.close();
  for (const x of [city, province]) if (x) await stop(x);
  for (const x of [city, province]) {
    await x?.drop?.();
    if (x) rmSync(x.dir, { recursive: true, force: true });
  }
}
