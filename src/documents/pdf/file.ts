import { type SharedPrefix, sharedPrefix } from '../digests.js';

/**
 * The bytes of a PDF (ISO 32000-1 §7.5: header, indirect objects, cross-reference table, trailer), written straight
 * from strings and byte arrays. Our PDFs are a few dozen objects of known shapes (fonts, images, pages), so a general
 * object model buys nothing; pdf-lib's cost most of a certificate's PDF time (its object tree, its number
 * formatting, and copying every font and image into it).
 *
 * A file may start from a `PdfPrefix`: the header and objects that many PDFs share byte for byte (the common font
 * subsets, the seal picture) written once, with their object numbers and offsets. Every PDF made from it begins with
 * exactly those bytes, so the prefix's SM3 state serves every file's digest too (digests.ts).
 *
 * Dictionaries are passed as ASCII strings without the surrounding `<< >>`; text outside ASCII goes in hex strings
 * (`textString`), so every string part is one byte per character.
 */
export interface PdfPrefix {
  readonly bytes: Uint8Array;
  /** Byte offset of each object in the prefix, by object number (index 0 unused). */
  readonly offsets: readonly number[];
  /** The first object number after the prefix's. */
  readonly next: number;
  readonly digest: SharedPrefix;
}

// %PDF-1.7 and a comment of four bytes above 127, so that transfer tools treat the file as binary (§7.5.2).
const HEADER = '%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n';

export class PdfFile {
  private readonly parts: (string | Uint8Array)[] = [];
  private pending = '';
  private length: number;
  private readonly offsets: number[];
  private next: number;
  private readonly prefix?: PdfPrefix;

  constructor(prefix?: PdfPrefix) {
    if (prefix) {
      this.prefix = prefix;
      this.length = prefix.bytes.length;
      this.offsets = [...prefix.offsets];
      this.next = prefix.next;
    } else {
      this.length = 0;
      this.offsets = [0];
      this.next = 1;
      this.text(HEADER);
    }
  }

  /** A new object number, for objects that are referred to before they are written. */
  reserve(): number {
    return this.next++;
  }

  /** Writes object `num` (from `reserve`): a dictionary, followed by its stream when `stream` is given. */
  put(num: number, dict: string, stream?: Uint8Array): void {
    if (num >= this.next || this.offsets[num] !== undefined)
      throw new Error(`PDF object ${num} was not reserved or is already written`);
    this.offsets[num] = this.length;
    if (stream) {
      this.text(`${num} 0 obj\n<<${dict}/Length ${stream.length}>>\nstream\n`);
      this.bytes(stream);
      this.text('\nendstream\nendobj\n');
    } else {
      this.text(`${num} 0 obj\n<<${dict}>>\nendobj\n`);
    }
  }

  /** Writes a new object; returns its number. */
  add(dict: string, stream?: Uint8Array): number {
    const num = this.reserve();
    this.put(num, dict, stream);
    return num;
  }

  /** The bytes so far as a prefix for other files (no object may be left reserved and unwritten). */
  toPrefix(): PdfPrefix {
    this.checkComplete();
    const bytes = this.join();
    return { bytes, offsets: [...this.offsets], next: this.next, digest: sharedPrefix(bytes) };
  }

  /** The complete file: cross-reference table and a trailer with `trailer` (e.g. `/Root 3 0 R/Info 4 0 R`). */
  finish(trailer: string): Uint8Array {
    this.checkComplete();
    const xrefAt = this.length;
    let xref = `xref\n0 ${this.next}\n0000000000 65535 f \n`;
    for (let i = 1; i < this.next; i++) xref += `${String(this.offsets[i]).padStart(10, '0')} 00000 n \n`;
    this.text(`${xref}trailer\n<</Size ${this.next}${trailer}>>\nstartxref\n${xrefAt}\n%%EOF\n`);
    return this.join();
  }

  private checkComplete(): void {
    for (let i = 1; i < this.next; i++)
      if (this.offsets[i] === undefined) throw new Error(`PDF object ${i} was reserved but never written`);
  }

  private text(s: string): void {
    this.pending += s;
    this.length += s.length;
  }

  private bytes(b: Uint8Array): void {
    if (this.pending) this.parts.push(this.pending);
    this.pending = '';
    this.parts.push(b);
    this.length += b.length;
  }

  private join(): Uint8Array {
    if (this.pending) this.parts.push(this.pending);
    this.pending = '';
    const out = Buffer.allocUnsafe(this.length);
    let o = 0;
    if (this.prefix) {
      out.set(this.prefix.bytes, 0);
      o = this.prefix.bytes.length;
    }
    for (const p of this.parts) {
      if (typeof p === 'string') o += out.write(p, o, 'latin1');
      else {
        out.set(p, o);
        o += p.length;
      }
    }
    if (o !== this.length) throw new Error(`PDF: wrote ${o} bytes, counted ${this.length}`);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

/** A text string (§7.9.2.2): literal when printable ASCII, else UTF-16BE with a byte-order mark, in hex. */
export function textString(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return `(${s.replace(/[()\\]/g, (c) => `\\${c}`)})`;
  let hex = 'FEFF';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0');
  return `<${hex}>`;
}

/** A name object (§7.3.5): regular characters as they are, everything else as #xx. */
export function pdfName(s: string): string {
  return `/${s.replace(/[^A-Za-z0-9+\-_.]/g, (c) => {
    const b = Buffer.from(c, 'utf8');
    return [...b].map((x) => `#${x.toString(16).padStart(2, '0')}`).join('');
  })}`;
}

/** A date (§7.9.4), UTC. */
export function pdfDate(d: Date): string {
  return `(D:${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;
}

/** Numbers in PDF points, at most three decimals (decimal.ts). */
export { decimal3 as num } from '../decimal.js';
