import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInThisContext } from 'node:vm';
import { assetPath } from '../../src/paths.js';

/**
 * ofd.js 0.2.6 (DLTech21, Apache-2.0) as an independent GB/T 38540 implementation (issue 4 "independent
 * implementation"). The npm package ships only its webpack bundle, whose entry exports the renderer but not the SES
 * routines, so we load the bundle unchanged except that its bootstrap returns webpack's module loader instead of
 * the entry; then we call the package's own modules by their ids:
 *   "a9c6" ./src/utils/ofd/ses_signature_parser.js → parseSesSignature (b), digestCheckProcess (a)
 *   "8060" sm-crypto as bundled (sm2.doVerifySignature, sm3)
 * The ids are checked against the module source so a different build fails loudly instead of testing nothing.
 */
const BUNDLE = 'node_modules/ofd.js/lib/ofd.common.js';
const ENTRY_RETURN = 'return __webpack_require__(__webpack_require__.s = "fae3");';

/** The value ofd.js returns for one SignedValue.dat. */
export interface OfdJsSesResult {
  readonly type?: string;
  readonly verifyRet?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: ofd.js builds a loosely-shaped object; tests read known paths only.
  readonly SES_Signature?: any;
}

export interface OfdJs {
  readonly version: string;
  /** ofd.js's parseSesSignature(zip, name): takes a JSZip-like object; we hand it the bytes directly. */
  parseSesSignature(signedValueDat: Uint8Array): Promise<OfdJsSesResult>;
  /** ofd.js's digestCheckProcess: [{fileData, hashed (base64), checkMethod}] → all match. */
  digestCheck(items: readonly { fileData: Uint8Array; hashed: string; checkMethod: string }[]): boolean;
  /** ofd.js's bundled sm-crypto sm2.doVerifySignature(msg, sigHex, pubHex, {der, hash, userId}). */
  sm2Verify(msg: Uint8Array, sigDerHex: string, publicKeyHex: string): boolean;
}

let cached: OfdJs | undefined;

export function loadOfdJs(): OfdJs {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(assetPath('node_modules/ofd.js/package.json'), 'utf8')) as { version: string };
  if (pkg.version !== '0.2.6') throw new Error(`ofd.js ${pkg.version} installed; the tests need exactly 0.2.6`);
  const src = readFileSync(assetPath(BUNDLE), 'utf8');
  if (!src.includes(ENTRY_RETURN)) throw new Error('ofd.js bundle bootstrap not recognised');
  const patched = src.replace(ENTRY_RETURN, 'return __webpack_require__;');
  const mod = { exports: {} as unknown };
  const factory = runInThisContext(`(function (module, exports, require) {${patched}\n})`, { filename: BUNDLE });
  factory(mod, mod.exports, createRequire(assetPath(BUNDLE)));
  const req = mod.exports as (id: string) => Record<string, unknown>;
  const moduleSource = (id: string): string => String((req as unknown as { m: Record<string, unknown> }).m[id]);
  if (!moduleSource('a9c6').includes('ses_signature_parser'))
    throw new Error('ofd.js module a9c6 is not the SES parser');
  if (!moduleSource('8060').includes('sm2')) throw new Error('ofd.js module 8060 is not sm-crypto');
  const ses = req('a9c6') as {
    b: (zip: unknown, name: string) => Promise<OfdJsSesResult>;
    a: (arr: unknown) => boolean;
  };
  const sm = req('8060') as {
    sm2: { doVerifySignature(m: unknown, s: string, p: string, o: object): boolean };
  };
  cached = {
    version: pkg.version,
    parseSesSignature: (dat) => {
      const b64 = Buffer.from(dat).toString('base64');
      const zip = { files: { 'SignedValue.dat': { async: async () => b64 } } };
      return ses.b(zip, 'SignedValue.dat');
    },
    digestCheck: (items) => ses.a(items),
    sm2Verify: (msg, sigHex, pubHex) =>
      sm.sm2.doVerifySignature(Array.from(msg), sigHex, pubHex, { der: true, hash: true, userId: '1234567812345678' }),
  };
  return cached;
}
