// bench/crypto — SM2 sign/verify per second and SM3 throughput of bdcert's crypto layer, beside `openssl speed` on
// the same machine, printed as ratios. Run: npm run bench -- crypto
import { execFileSync } from 'node:child_process';
import { Sm2PrivateKey } from '../src/crypto/sm2.js';
import { sm3 } from '../src/crypto/sm3.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function rate(fn: () => void): number {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  return n / ((performance.now() - t0) / 1000);
}

const key = Sm2PrivateKey.generate();
const msg = new Uint8Array(1024).fill(0x5a); // about the size of an OFD Signature.xml
const sig = key.sign(msg);
const signPerS = rate(() => key.sign(msg));
const verifyPerS = rate(() => key.publicKey.verify(msg, sig));
const block = new Uint8Array(16384).fill(1);
const sm3Rate = (rate(() => sm3(block)) * block.length) / 1e6;

function opensslSm2(): { sign: number; verify: number } | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', String(SECONDS), 'sm2'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /SM2 \(CurveSM2\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/.exec(out);
    return m ? { sign: Number(m[1]), verify: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}
function opensslSm3(): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', String(SECONDS), '-evp', 'sm3'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /^sm3\s+.*\s([\d.]+)k\s*$/m.exec(out);
    return m ? (Number(m[1]) * 1000) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}
const o2 = opensslSm2();
const o3 = opensslSm3();
const ratio = (a: number, b: number | undefined) => (b ? `${((a / b) * 100).toFixed(0)} %` : 'n/a');
console.log(`cores: ${(await import('node:os')).cpus().length}, node ${process.version}, ${SECONDS}s per figure`);
console.log('metric                 bdcert        openssl speed   bdcert/openssl');
console.log(
  `SM2 sign/s (1 KiB)   ${signPerS.toFixed(0).padStart(8)}      ${String(o2?.sign ?? 'n/a').padStart(10)}      ${ratio(signPerS, o2?.sign)}`,
);
console.log(
  `SM2 verify/s (1 KiB) ${verifyPerS.toFixed(0).padStart(8)}      ${String(o2?.verify ?? 'n/a').padStart(10)}      ${ratio(verifyPerS, o2?.verify)}`,
);
console.log(
  `SM3 MB/s (16 KiB)    ${sm3Rate.toFixed(0).padStart(8)}      ${(o3?.toFixed(0) ?? 'n/a').padStart(10)}      ${ratio(sm3Rate, o3)}`,
);
console.log(
  '(bdcert signs SM3(Z‖M) with the real ID through OpenSSL; openssl speed signs a bare digest, so ~100 % is the ceiling.)',
);
