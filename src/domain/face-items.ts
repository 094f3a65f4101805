import type { CertificateKind } from './catalog.js';
import { fieldsOf, HEADER_ALIASES } from './field-names.js';

/**
 * Face data as 附件2 items (Henan notice 附件2 照面信息): an object keyed by the standard's Chinese item names — the
 * form in which a city pushes face data to the province (Henan 三(一)6) and a self-built agency system pushes it to
 * the city (三(二)2). Unlike a table row (`toChineseRecord`), values keep their JSON type and list-valued items (several
 * 权利人, 共有人, 义务人) stay arrays aligned by position, so the mapping is lossless: `itemsToFace(faceToItems(f))`
 * gives `f` back. Missing list elements are `null`.
 */
export type FaceItems = Record<string, unknown>;

const LIST = /^(\w+)\[\]\.(\w+)$/;

export function faceToItems(kind: CertificateKind, face: Readonly<Record<string, unknown>>): FaceItems {
  const out: FaceItems = {};
  for (const f of fieldsOf(kind)) {
    const m = LIST.exec(f.path);
    if (m) {
      const list = face[m[1]!];
      if (!Array.isArray(list) || list.length === 0) continue;
      out[f.zh] = list.map((x) => {
        const v = (x as Record<string, unknown>)[m[2]!];
        return v === undefined ? null : v;
      });
    } else {
      const v = face[f.path];
      if (v !== undefined && v !== null) out[f.zh] = v;
    }
  }
  return out;
}

export interface ItemsProblem {
  readonly item: string;
  readonly message: string;
  readonly messageEn: string;
}

/**
 * 附件2 items → our face record (not yet validated: the caller runs `validateFace`). Unknown item names and list items
 * that are not arrays are reported, never silently dropped.
 */
export function itemsToFace(
  kind: CertificateKind,
  items: Readonly<Record<string, unknown>>,
): { face: Record<string, unknown>; problems: ItemsProblem[] } {
  const fields = fieldsOf(kind);
  const byZh = new Map(fields.map((f) => [f.zh, f]));
  const face: Record<string, unknown> = { kind };
  const lists: Record<string, Record<string, unknown[]>> = {};
  const problems: ItemsProblem[] = [];
  for (const [rawName, value] of Object.entries(items)) {
    const name = HEADER_ALIASES[rawName] ?? rawName;
    const f = byZh.get(name);
    if (!f) {
      problems.push({
        item: rawName,
        message: `未知的照面信息项「${rawName}」`,
        messageEn: `Unknown face item ${rawName}`,
      });
      continue;
    }
    const m = LIST.exec(f.path);
    if (!m) {
      if (value !== null && value !== undefined) face[f.path] = value;
      continue;
    }
    if (!Array.isArray(value)) {
      problems.push({
        item: rawName,
        message: `照面信息项「${rawName}」应为数组（每个权利人一项）`,
        messageEn: `Face item ${rawName} must be an array (one element per person)`,
      });
      continue;
    }
    const list = lists[m[1]!] ?? {};
    lists[m[1]!] = list;
    list[m[2]!] = value;
  }
  for (const [listName, cols] of Object.entries(lists)) {
    const n = Math.max(...Object.values(cols).map((v) => v.length));
    face[listName] = Array.from({ length: n }, (_, i) =>
      Object.fromEntries(
        Object.entries(cols)
          .map(([k, v]) => [k, v[i]] as const)
          .filter(([, v]) => v !== null && v !== undefined),
      ),
    );
  }
  return { face, problems };
}
