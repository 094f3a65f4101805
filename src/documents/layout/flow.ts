import { measureText } from '../fonts.js';
import type { FontRole, PageItem, PageModel, PathItem, TextItem } from '../page-model.js';

/** A4 portrait — the e-certificate takes the paper form's seal page and data page (Huangchuan 1.2). */
export const PAGE_W = 210;
export const PAGE_H = 297;
export const MARGIN = 18;
export const BLACK = [0, 0, 0] as const;
export const RED = [0.78, 0.05, 0.05] as const;

export function text(
  x: number,
  y: number,
  s: string,
  sizeMm: number,
  font: FontRole = 'serif',
  extra: Partial<TextItem> = {},
): TextItem {
  return { kind: 'text', xMm: x, yMm: y, sizeMm, text: s, font, ...extra };
}

export function centred(
  y: number,
  s: string,
  sizeMm: number,
  font: FontRole = 'serif',
  left = 0,
  right = PAGE_W,
): TextItem {
  const w = measureText(s, font, sizeMm);
  return text(left + (right - left - w) / 2, y, s, sizeMm, font);
}

export function line(x1: number, y1: number, x2: number, y2: number, strokeMm = 0.3): PathItem {
  return {
    kind: 'path',
    points: [
      [x1, y1],
      [x2, y2],
    ],
    closed: false,
    strokeMm,
    stroke: BLACK,
  };
}

export function rect(x: number, y: number, w: number, h: number, strokeMm = 0.3): PathItem {
  return {
    kind: 'path',
    points: [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ],
    closed: true,
    strokeMm,
    stroke: BLACK,
  };
}

/**
 * Breaks text into lines no wider than `width` at the given size. CJK text breaks between any two characters;
 * runs of Latin letters and digits are kept together when they fit on a line. Explicit newlines are kept.
 */
export function wrap(s: string, width: number, sizeMm: number, font: FontRole = 'serif'): string[] {
  const out: string[] = [];
  for (const para of s.split(/\r?\n/)) {
    const tokens = para.match(/[A-Za-z0-9.,:;()\-_/%#@]+|./gsu) ?? [''];
    let cur = '';
    let curW = 0;
    for (const tok of tokens) {
      const w = measureText(tok, font, sizeMm);
      if (curW + w <= width || cur === '') {
        if (w > width && cur === '') {
          // a token wider than the line: break it by character
          for (const ch of tok) {
            const cw = measureText(ch, font, sizeMm);
            if (curW + cw > width && cur) {
              out.push(cur);
              cur = '';
              curW = 0;
            }
            cur += ch;
            curW += cw;
          }
          continue;
        }
        cur += tok;
        curW += w;
      } else {
        out.push(cur.trimEnd());
        cur = tok.trimStart();
        curW = measureText(cur, font, sizeMm);
      }
    }
    out.push(cur);
  }
  return out;
}

export interface Row {
  readonly label: string;
  readonly value: string;
}

export interface TableStyle {
  readonly x: number;
  readonly width: number;
  readonly labelWidth: number;
  readonly size: number;
  readonly lineGap: number;
  readonly pad: number;
  readonly minRowHeight: number;
}

export const DEFAULT_TABLE: TableStyle = {
  x: MARGIN,
  width: PAGE_W - 2 * MARGIN,
  labelWidth: 34,
  size: 3.6,
  lineGap: 1.6,
  pad: 2.2,
  minRowHeight: 10,
};

/**
 * Lays a two-column table (label | value) from `top` down to `bottom`, continuing on new pages (续页) when it runs
 * out of room: a row that does not fit is split between lines, never cut off, and the label is repeated with
 * 「（续）」 on the next page. `newPage` gives each continuation page's header items and the y where its table starts.
 */
export function flowTable(
  rows: readonly Row[],
  first: { items: PageItem[]; top: number; bottom: number },
  newPage: (n: number) => { items: PageItem[]; top: number; bottom: number },
  style: TableStyle = DEFAULT_TABLE,
): PageModel[] {
  const pages: PageModel[] = [];
  let page = first;
  let y = page.top;
  let items = [...page.items];
  const lineH = style.size + style.lineGap;
  const valueX = style.x + style.labelWidth;
  const valueW = style.width - style.labelWidth - 2 * style.pad;
  const finish = () => {
    pages.push({ widthMm: PAGE_W, heightMm: PAGE_H, items });
  };
  for (const row of rows) {
    let lines = wrap(row.value || ' ', valueW, style.size);
    let continued = false;
    while (lines.length) {
      const room = Math.floor((page.bottom - y - 2 * style.pad + style.lineGap) / lineH);
      if (room < 1) {
        finish();
        page = newPage(pages.length + 1);
        items = [...page.items];
        y = page.top;
        continue;
      }
      const take = lines.slice(0, room);
      lines = lines.slice(room);
      const label = continued ? `${row.label}（续）` : row.label;
      const labelLines = wrap(label, style.labelWidth - 2 * style.pad, style.size, 'serif-bold');
      const h = Math.max(
        style.minRowHeight,
        Math.max(take.length, labelLines.length) * lineH - style.lineGap + 2 * style.pad,
      );
      const baseline = (i: number) => y + style.pad + style.size * 0.88 + i * lineH;
      for (const [i, l] of labelLines.entries())
        items.push(text(style.x + style.pad, baseline(i), l, style.size, 'serif-bold'));
      for (const [i, l] of take.entries()) items.push(text(valueX + style.pad, baseline(i), l, style.size));
      items.push(rect(style.x, y, style.labelWidth, h), rect(valueX, y, style.width - style.labelWidth, h));
      y += h;
      continued = true;
      if (lines.length) {
        finish();
        page = newPage(pages.length + 1);
        items = [...page.items];
        y = page.top;
      }
    }
  }
  finish();
  return pages;
}
