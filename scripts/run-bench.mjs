#!/usr/bin/env node
// Runs bench/<name>.ts (all when no name is given). Each bench prints its own figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const names = process.argv.slice(2);
const all = readdirSync('bench')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
const run = names.length ? names : all;
for (const n of run) {
  console.log(`\n=== bench/${n} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${n}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
