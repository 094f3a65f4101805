import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { CHROMIUM } from './tools.js';

/**
 * Renders an OFD with ofd.js 0.2.6 in headless Debian Chromium (playwright-core, never a downloaded browser): ofd.js
 * is bundled for the page with esbuild, page and file are served from a local static server on 127.0.0.1, and the
 * result is what ofd.js itself drew — the SVG <text> it made, the seal images it placed with their SES data, its
 * own verification outcome per stamp — plus a screenshot.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface OfdJsRender {
  readonly ok: boolean;
  readonly error?: string;
  readonly pages: number;
  /** Text of every SVG <text> element ofd.js created, in document order. */
  readonly texts: readonly string[];
  /** One entry per stamp ofd.js found: its picture type and ofd.js's own SES_Signature verification result. */
  readonly stamps: readonly { readonly type: string; readonly verifyRet: boolean | null }[];
  /** Seal elements drawn (svg[data-ses-signature] holding an <image>). */
  readonly sealImages: number;
  /** Bounding box (CSS px) of the first seal element, for pixel checks on the screenshot. */
  readonly sealBox: { x: number; y: number; width: number; height: number } | null;
  readonly screenshot: Uint8Array;
}

let bundle: string | undefined;

async function ofdJsBundle(): Promise<string> {
  if (bundle) return bundle;
  const r = await build({
    stdin: {
      contents: "import * as ofd from 'ofd.js'; window.bdcertOfd = ofd;",
      resolveDir: PACKAGE_ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  bundle = r.outputFiles[0]?.text ?? '';
  return bundle;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>ofd.js</title>
<style>body{margin:0;background:#ddd}#c{display:inline-block}</style></head><body><div id="c"></div>
<script src="/ofd.js"></script>
<script>
window.__render = (url, width) => new Promise((resolve) => {
  bdcertOfd.parseOfdDocument({
    ofd: url,
    success(res) {
      try {
        const doc = res[0];
        const divs = bdcertOfd.renderOfd(width, doc);
        const c = document.getElementById('c');
        for (const d of divs) c.appendChild(d);
        const stamps = [];
        for (const p of doc.pages) {
          const k = Object.keys(p)[0];
          for (const s of p[k].stamp || []) stamps.push({ type: String(s.type), verifyRet: s.stamp && s.stamp.sealObj ? !!s.stamp.sealObj.verifyRet : null });
        }
        resolve({ ok: true, pages: divs.length, stamps });
      } catch (e) { resolve({ ok: false, error: String(e && e.stack || e), pages: 0, stamps: [] }); }
    },
    fail(e) { resolve({ ok: false, error: String(e), pages: 0, stamps: [] }); },
  });
});
</script></body></html>`;

export async function renderWithOfdJs(
  ofd: Uint8Array,
  opts: { screenshotName: string; widthPx?: number },
): Promise<OfdJsRender> {
  const js = await ofdJsBundle();
  const server: Server = createServer((req, res) => {
    const send = (type: string, body: string | Uint8Array) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.url === '/') send('text/html; charset=utf-8', PAGE);
    else if (req.url === '/ofd.js') send('text/javascript; charset=utf-8', js);
    else if (req.url === '/cert.ofd') send('application/ofd', ofd);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const profile = mkdtempSync(join(tmpdir(), 'bdcert-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: (opts.widthPx ?? 800) + 40, height: 1200 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    const r = (await page.evaluate(
      ([w]) => (globalThis as unknown as { __render(u: string, w: number): Promise<unknown> }).__render('/cert.ofd', w),
      [opts.widthPx ?? 800] as const,
    )) as { ok: boolean; error?: string; pages: number; stamps: OfdJsRender['stamps'] };
    // Images (the seal picture) load asynchronously; let them decode before the screenshot.
    await page.waitForTimeout(300);
    const texts = await page.$$eval('#c svg text', (els) => els.map((e) => e.textContent ?? ''));
    const sealImages = await page.$$eval('#c svg[data-ses-signature] image', (els) => els.length);
    const seal = await page.$('#c svg[data-ses-signature]');
    const sealBox = seal ? await seal.boundingBox() : null;
    const screenshot = new Uint8Array(await page.locator('#c').screenshot());
    mkdirSync(join(PACKAGE_ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(PACKAGE_ROOT, 'test-results', opts.screenshotName), screenshot);
    return {
      ...r,
      ...(errors.length && !r.error ? { error: errors.join('\n') } : {}),
      texts,
      sealImages,
      sealBox,
      screenshot,
    };
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Share of seal-red pixels inside `box` of a screenshot: the seal is really visible, not just in the DOM. */
export function redShare(png: Uint8Array, box: { x: number; y: number; width: number; height: number }): number {
  const p = PNG.sync.read(Buffer.from(png));
  let red = 0;
  let all = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(p.height, box.y + box.height); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(p.width, box.x + box.width); x++) {
      const i = (y * p.width + x) * 4;
      all++;
      if ((p.data[i] ?? 0) > 170 && (p.data[i + 1] ?? 255) < 110 && (p.data[i + 2] ?? 255) < 110) red++;
    }
  }
  return red / Math.max(1, all);
}
