import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * TrueType subsetting with harfbuzz's subsetter (harfbuzzjs, the WebAssembly build `subset-font` wraps), with each
 * face loaded once and kept resident. `subset-font` copies the whole font (11–30 MB) into WebAssembly memory and
 * re-creates the face on every call; here a face is copied once, preprocessed once (hb_subset_preprocess: the
 * subsetter's own lookup tables, ~150 ms for Noto Serif SC), and every subset after that takes ~0.5 ms.
 *
 * The subsets carry what both our writers need and nothing else: glyf/loca, hmtx, cmap (readers map text through
 * it), name, OS/2, post. Layout tables (GSUB, GPOS, …) and hinting are dropped — both writers place every glyph
 * themselves from the advance widths (OFD DeltaX, PDF W array) and never shape text, and the layout closure over a
 * CJK font's GSUB was most of harfbuzz's time.
 */
interface HbExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  _initialize(): void;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_blob_get_data(blob: number, lengthPtr: number): number;
  hb_blob_get_length(blob: number): number;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_face_get_empty(): number;
  hb_face_reference_blob(face: number): number;
  hb_set_add(set: number, value: number): void;
  hb_set_clear(set: number): void;
  hb_subset_input_create_or_fail(): number;
  hb_subset_input_destroy(input: number): void;
  hb_subset_input_unicode_set(input: number): number;
  hb_subset_input_set(input: number, which: number): number;
  hb_subset_input_get_flags(input: number): number;
  hb_subset_input_set_flags(input: number, flags: number): void;
  hb_subset_preprocess(face: number): number;
  hb_subset_or_fail(face: number, input: number): number;
}

const HB_MEMORY_MODE_READONLY = 1;
const HB_SUBSET_SETS_DROP_TABLE_TAG = 3;
const HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6;
const HB_SUBSET_FLAGS_NO_HINTING = 0x1;
const HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE = 0x200;

const DROPPED_TABLES = [
  'GSUB',
  'GPOS',
  'GDEF',
  'BASE',
  'JSTF',
  'MATH',
  'vhea',
  'vmtx',
  'VORG',
  'DSIG',
  'hdmx',
  'LTSH',
  'kern',
  'fpgm',
  'prep',
  'cvt ',
  'gasp',
];
const tag = (s: string) =>
  ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;

/** The two WebAssembly constructors used (the project's lib settings carry no WebAssembly typings). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

let module: object | undefined;
/**
 * One WebAssembly instance per face: harfbuzzjs's build has a fixed 65 MiB memory, and Noto Serif SC regular and
 * bold with HanaMin A and B (83 MB of fonts) do not fit in one. Instances share the compiled module.
 */
function instantiate(): HbExports {
  if (!module) {
    const path = createRequire(import.meta.url).resolve('harfbuzzjs/dist/harfbuzz-subset.wasm');
    // Synchronous compile: once per process (or worker), ~1 MB of wasm; keeps subsetting a plain function call.
    module = new wasm.Module(readFileSync(path));
  }
  // The wasm's export object is untyped; HbExports lists exactly the functions this module calls.
  const h = new wasm.Instance(module, {}).exports as HbExports;
  h._initialize();
  return h;
}

interface Loaded {
  readonly hb: HbExports;
  face: number;
  preprocessed: boolean;
  readonly ptr: number;
  readonly length: number;
}
const faces = new Map<string, Loaded>();

function rawFace(h: HbExports, ptr: number, length: number): number {
  // Read-only blob over memory we never free: the face lives as long as the process.
  const blob = h.hb_blob_create(ptr, length, HB_MEMORY_MODE_READONLY, 0, 0);
  const face = h.hb_face_create(blob, 0);
  h.hb_blob_destroy(blob);
  return face;
}

/** The (preprocessed where it fits) harfbuzz face of a font file, loaded on first use and kept for the process. */
function faceOf(path: string): Loaded {
  let f = faces.get(path);
  if (!f) {
    const h = instantiate();
    const bytes = readFileSync(path);
    const ptr = h.malloc(bytes.byteLength);
    if (!ptr) throw new Error(`harfbuzz: out of memory loading ${path}`);
    new Uint8Array(h.memory.buffer).set(bytes, ptr);
    const raw = rawFace(h, ptr, bytes.byteLength);
    if (!raw || raw === h.hb_face_get_empty()) throw new Error(`harfbuzz: cannot read ${path}`);
    // The preprocessed face carries the subsetter's lookup tables (harfbuzz answers an allocation failure with its
    // empty face, never null); when they do not fit, the plain face still works.
    const pre = h.hb_subset_preprocess(raw);
    const preprocessed = Boolean(pre) && pre !== h.hb_face_get_empty();
    if (preprocessed) h.hb_face_destroy(raw);
    f = { hb: h, face: preprocessed ? pre : raw, preprocessed, ptr, length: bytes.byteLength };
    faces.set(path, f);
  }
  return f;
}

function subsetOnce(f: Loaded, codePoints: readonly number[]): number {
  const h = f.hb;
  const input = h.hb_subset_input_create_or_fail();
  if (!input) throw new Error('harfbuzz: hb_subset_input_create_or_fail failed');
  try {
    const unicodes = h.hb_subset_input_unicode_set(input);
    for (const cp of codePoints) h.hb_set_add(unicodes, cp);
    h.hb_set_clear(h.hb_subset_input_set(input, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG));
    const drop = h.hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (const t of DROPPED_TABLES) h.hb_set_add(drop, tag(t));
    h.hb_subset_input_set_flags(
      input,
      h.hb_subset_input_get_flags(input) | HB_SUBSET_FLAGS_NO_HINTING | HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE,
    );
    return h.hb_subset_or_fail(f.face, input);
  } finally {
    h.hb_subset_input_destroy(input);
  }
}

/** A TrueType subset of the font at `path` with a glyph (and cmap entry) for every code point given that it has. */
export function subsetTrueType(path: string, codePoints: readonly number[]): Uint8Array {
  const f = faceOf(path);
  const h = f.hb;
  let result = subsetOnce(f, codePoints);
  if (!result && f.preprocessed) {
    // A large face (HanaMin A) preprocesses but then leaves too little of the instance's memory to subset:
    // fall back to the plain face for good.
    h.hb_face_destroy(f.face);
    f.face = rawFace(h, f.ptr, f.length);
    f.preprocessed = false;
    result = subsetOnce(f, codePoints);
  }
  if (!result) throw new Error(`harfbuzz: subsetting ${path} failed`);
  const blob = h.hb_face_reference_blob(result);
  try {
    const off = h.hb_blob_get_data(blob, 0);
    const len = h.hb_blob_get_length(blob);
    if (!len) throw new Error(`harfbuzz: empty subset of ${path}`);
    // Copy out: the wasm memory is reused on the next call.
    return new Uint8Array(h.memory.buffer).slice(off, off + len);
  } finally {
    h.hb_blob_destroy(blob);
    h.hb_face_destroy(result);
  }
}
