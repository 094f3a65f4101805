import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Third-party tools the document tests check our output with (Debian packages installed by scripts/ci-apt.sh):
 * zbarimg (zbar-tools), pdftoppm/pdftotext (poppler-utils), chromium. A missing tool is a failure, not a skip —
 * except the browser on a developer machine (see browserSkipReason).
 */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-tp-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every QR symbol zbarimg finds in a PNG, as raw strings, sorted. */
export function zbarDecode(png: Uint8Array): string[] {
  return withTmp((dir) => {
    const f = join(dir, 'in.png');
    writeFileSync(f, png);
    const r = spawnSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', f], { encoding: 'utf8' });
    if (r.status !== 0 && r.status !== 4) throw new Error(`zbarimg failed (${r.status}): ${r.stderr}`);
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .sort();
  });
}

/** Renders every page of a PDF to PNG with pdftoppm; returns the PNGs in page order. */
export function pdfToPngs(pdf: Uint8Array, dpi = 150): Uint8Array[] {
  return withTmp((dir) => {
    const f = join(dir, 'in.pdf');
    writeFileSync(f, pdf);
    execFileSync('pdftoppm', ['-r', String(dpi), '-png', f, join(dir, 'p')]);
    return readdirSync(dir)
      .filter((n) => n.startsWith('p') && n.endsWith('.png'))
      .sort()
      .map((n) => new Uint8Array(readFileSync(join(dir, n))));
  });
}

/** Text of a PDF; `raw` keeps content-stream order (rotated text otherwise comes out character by character). */
export function pdfToText(pdf: Uint8Array, opts: { raw?: boolean } = {}): string {
  return withTmp((dir) => {
    const f = join(dir, 'in.pdf');
    writeFileSync(f, pdf);
    const args = ['-enc', 'UTF-8', ...(opts.raw ? ['-raw'] : []), f, '-'];
    return execFileSync('pdftotext', args, { encoding: 'utf8' });
  });
}

export function pdfInfo(pdf: Uint8Array): string {
  return withTmp((dir) => {
    const f = join(dir, 'in.pdf');
    writeFileSync(f, pdf);
    return execFileSync('pdfinfo', ['-enc', 'UTF-8', f], { encoding: 'utf8' });
  });
}

/** qpdf's structural check (cross-reference table, object syntax, every stream decoded): its output; throws on errors. */
export function qpdfCheck(pdf: Uint8Array): string {
  return withTmp((dir) => {
    const f = join(dir, 'in.pdf');
    writeFileSync(f, pdf);
    const r = spawnSync('qpdf', ['--check', f], { encoding: 'utf8' });
    // exit 0: no errors, 3: warnings only — both fail here, a warning means qpdf had to repair something
    if (r.status !== 0 || r.stderr) throw new Error(`qpdf --check (exit ${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  });
}

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Browser tests skip only when Chromium is missing AND BDCERT_REQUIRE_BROWSER is unset (a developer machine); CI sets
 * it, so there a missing browser fails. The skip is printed loudly so nobody mistakes it for a pass.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.BDCERT_REQUIRE_BROWSER) {
    throw new Error(`${CHROMIUM} is missing but BDCERT_REQUIRE_BROWSER is set: run scripts/ci-apt.sh`);
  }
  const msg = `SKIPPED: ${CHROMIUM} not found — the third-party OFD reader test (ofd.js in Chromium) did NOT run. Run scripts/ci-apt.sh.`;
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${msg}\n${'!'.repeat(100)}\n\n`);
  return msg;
}
