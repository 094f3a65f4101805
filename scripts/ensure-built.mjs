#!/usr/bin/env node
// `npm start` builds when dist/ is missing or older than any source file, then returns.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const marker = 'dist/src/cli/main.js';
function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}
const stale = !existsSync(marker) || newest('src') > statSync(marker).mtimeMs;
if (stale) {
  console.error('bdcert: building (tsc) …');
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// The web UI (web/, Vite) is built into web/dist when missing or older than its sources; the server serves it.
const webMarker = 'web/dist/index.html';
const webSources = ['web/src', 'web/index.html', 'web/vite.config.ts'].filter((p) => existsSync(p));
const webNewest = Math.max(0, ...webSources.map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
if (existsSync('web/src') && (!existsSync(webMarker) || webNewest > statSync(webMarker).mtimeMs)) {
  console.error('bdcert: building web UI (vite) …');
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
