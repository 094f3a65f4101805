import type { PageItem, PageModel } from '../page-model.js';
import { BLACK, centred, line, MARGIN, PAGE_H, PAGE_W, text } from './flow.js';

/**
 * 附图 page: the parcel polygon from its boundary points (附图界址点), scaled to fit, points numbered J1…Jn, a north
 * arrow and the scale. Coordinates are surveying coordinates (X north, Y east, metres, CGCS2000 Gauss–Krüger), so
 * Y runs left→right and X bottom→top on the sheet.
 */
export function figurePage(
  points: readonly { x: number; y: number }[],
  note: string | undefined,
  certificateNo: string,
): PageModel {
  const items: PageItem[] = [centred(22, '附图', 6, 'serif-bold'), text(MARGIN, 32, certificateNo, 3.4)];
  const box = { x: MARGIN + 10, y: 45, w: PAGE_W - 2 * MARGIN - 20, h: 150 };
  const east = points.map((p) => p.y);
  const north = points.map((p) => p.x);
  const minE = Math.min(...east);
  const maxE = Math.max(...east);
  const minN = Math.min(...north);
  const maxN = Math.max(...north);
  const spanE = Math.max(maxE - minE, 1e-6);
  const spanN = Math.max(maxN - minN, 1e-6);
  const mmPerMetre = Math.min(box.w / spanE, box.h / spanN) * 0.85;
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const toSheet = (p: { x: number; y: number }): [number, number] => [
    cx + (p.y - (minE + maxE) / 2) * mmPerMetre,
    cy - (p.x - (minN + maxN) / 2) * mmPerMetre,
  ];
  const pts = points.map(toSheet);
  items.push({ kind: 'path', points: pts, closed: true, strokeMm: 0.5, stroke: BLACK });
  pts.forEach(([x, y], i) => {
    items.push({
      kind: 'path',
      points: [
        [x - 0.8, y - 0.8],
        [x + 0.8, y - 0.8],
        [x + 0.8, y + 0.8],
        [x - 0.8, y + 0.8],
      ],
      closed: true,
      fill: BLACK,
    });
    items.push(text(x + 1.5, y - 1.5, `J${i + 1}`, 3));
  });
  // North arrow, top right of the drawing box.
  const ax = box.x + box.w - 8;
  const ay = box.y + 6;
  items.push({
    kind: 'path',
    points: [
      [ax, ay],
      [ax - 3, ay + 10],
      [ax, ay + 7.5],
      [ax + 3, ay + 10],
    ],
    closed: true,
    fill: BLACK,
  });
  items.push(text(ax - 1.3, ay - 1.5, '北', 3.4, 'serif-bold'));
  // Scale: 1 mm on paper = 1/mmPerMetre metres → 1:(1000/mmPerMetre), rounded to a readable figure.
  const scale = niceScale(1000 / mmPerMetre);
  items.push(text(box.x, box.y + box.h + 8, `比例尺 约1:${scale.toLocaleString('en-US')}（界址点坐标单位：米）`, 3.2));
  items.push(line(box.x, box.y + box.h + 3, box.x + 20, box.y + box.h + 3, 0.4));
  // Coordinate table
  let y = box.y + box.h + 16;
  items.push(
    text(box.x, y, '界址点号', 3, 'serif-bold'),
    text(box.x + 30, y, 'X（北）', 3, 'serif-bold'),
    text(box.x + 75, y, 'Y（东）', 3, 'serif-bold'),
  );
  for (const [i, p] of points.entries()) {
    y += 4.5;
    if (y > PAGE_H - 24) {
      items.push(text(box.x, y, `……共${points.length}个界址点`, 3));
      break;
    }
    items.push(
      text(box.x, y, `J${i + 1}`, 3),
      text(box.x + 30, y, p.x.toFixed(3), 3),
      text(box.x + 75, y, p.y.toFixed(3), 3),
    );
  }
  if (note) items.push(text(MARGIN, PAGE_H - 16, `附图说明：${note}`, 3.2));
  return { widthMm: PAGE_W, heightMm: PAGE_H, items };
}

function niceScale(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
