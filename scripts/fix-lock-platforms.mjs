#!/usr/bin/env node
// The npm registry mirror reachable here serves only the Linux builds of packages that ship one binary package per
// platform (Biome's @biomejs/cli-*). `npm install` then leaves the other platforms out of package-lock.json, and
// `npm ci` refuses the lock ("Missing: @biomejs/cli-darwin-x64@ from lock file"). This adds the entries npm would have
// written — optional, with their os/cpu/libc — so `npm ci` accepts the lock and skips them on Linux as it always does.
// Run after any `npm install`: node scripts/fix-lock-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pk = lock.packages;
let added = 0;
for (const [path, p] of Object.entries(pk)) {
  for (const [dep, version] of Object.entries(p.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`;
    if (pk[nested] || pk[`node_modules/${dep}`]) continue;
    const m = /-(android|darwin|linux|win32|freebsd)-(arm64|x64|ia32|arm)(-(musl|gnu|msvc))?$/.exec(dep);
    if (!m) throw new Error(`cannot infer the platform of ${dep}; add it by hand`);
    pk[`node_modules/${dep}`] = {
      version,
      cpu: [m[2]],
      dev: p.dev ?? undefined,
      license: p.license,
      optional: true,
      os: [m[1]],
      ...(m[4] === 'musl' || m[4] === 'gnu' ? { libc: [m[4] === 'musl' ? 'musl' : 'glibc'] } : {}),
      engines: p.engines,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lock-platforms: ${added} platform entries added`);
