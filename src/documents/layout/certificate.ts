import type { FaceData, PropertyCertificateFace, RegistrationProofFace } from '../../domain/face-data.js';
import { formatUnitNumber } from '../../domain/validators/unit-number.js';
import { checkCoverage } from '../fonts.js';
import type { DocumentModel, ImageItem, PageItem, PageModel, SealAnchor } from '../page-model.js';
import type { QueryQrMark } from '../qr/query.js';
import { figurePage } from './figure.js';
import { centred, DEFAULT_TABLE, flowTable, line, MARGIN, PAGE_H, PAGE_W, RED, type Row, text, wrap } from './flow.js';

/**
 * Certificate layouts, following the paper forms' order (Huangchuan 1.2: the e-certificate takes the seal page and
 * the data page of the paper 不动产权证书, with 附记 moved after 权利其他状况; Sichuan Art. 5–6 list what each kind
 * shows). The two QR codes sit top-left (Huangchuan 1.3); the agency seal goes on 「登记机构（章）」 (1.4).
 */
export interface LayoutOptions {
  readonly queryQrPng: Uint8Array;
  /**
   * The registration mark drawn over the query QR's centre, when the QR picture does not carry it itself
   * (`renderQueryQrLayered`): its picture and where it sits, in pixels of the QR picture `qrWidthPx` wide.
   */
  readonly queryQrMark?: QueryQrMark & { readonly qrWidthPx: number };
  readonly infoQrPng: Uint8Array;
  /** 颁发时间 printed under the seal; the registration date when absent. */
  readonly issuedOn?: string;
  readonly meta?: Readonly<Record<string, string>>;
}

const QR = 24;

const SEAL_PAGE_BODY =
  '根据《中华人民共和国民法典》等法律法规，为保护不动产权利人合法权益，对不动产权利人申请登记的本证所列不动产权利，经审查核实，准予登记，颁发此证。';
const DIGITS_AND_CODES = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ .-:/%()（），、。；：';

/**
 * The forms' fixed text by role (DocumentModel.commonChars): labels, titles, the seal page's body, the characters of
 * every certificate number and date, digits and the letters of identifiers and unit numbers. A character missing
 * here is only embedded per document; one listed here but not drawn costs a glyph in the shared subset.
 */
const COMMON_CHARS = {
  serif:
    `查询二维码信息二维码${SEAL_PAGE_BODY}中华人民共和国自然资源部监制电子证照标识编号No年月日起止共有人比例` +
    `豫不动产权第号证明单独共同按份比例尺约界址点坐标单位米个……${DIGITS_AND_CODES}`,
  'serif-bold':
    `中华人民共和国不动产权证书登记机构章登记页续页附图北界址点号权利人共有情况坐落不动产单元号权利类型权利性质用途面积` +
    `使用期限权利其他状况附记续不动产登记证明证明权利或事项申请人义务人其他豫第号${DIGITS_AND_CODES}`,
} as const;

function qrItems(o: LayoutOptions): PageItem[] {
  const y = 12;
  const q: ImageItem = {
    kind: 'image',
    xMm: MARGIN - 6,
    yMm: y,
    wMm: QR,
    hMm: QR,
    png: o.queryQrPng,
    role: 'qr-query',
  };
  const i: ImageItem = {
    kind: 'image',
    xMm: MARGIN - 6 + QR + 3,
    yMm: y,
    wMm: QR,
    hMm: QR,
    png: o.infoQrPng,
    role: 'qr-info',
  };
  const mk = o.queryQrMark;
  const mark: ImageItem[] = mk
    ? [
        {
          kind: 'image',
          xMm: q.xMm + (QR * mk.xPx) / mk.qrWidthPx,
          yMm: q.yMm + (QR * mk.yPx) / mk.qrWidthPx,
          wMm: (QR * mk.sidePx) / mk.qrWidthPx,
          hMm: (QR * mk.sidePx) / mk.qrWidthPx,
          png: mk.png,
          role: 'mark',
        },
      ]
    : [];
  return [
    q,
    ...mark,
    i,
    text(MARGIN - 6, y + QR + 3.5, '查询二维码', 2.4),
    text(MARGIN - 6 + QR + 3, y + QR + 3.5, '信息二维码', 2.4),
  ];
}

function dateZh(ymd: string): string {
  return `${ymd.slice(0, 4)}年${Number(ymd.slice(4, 6))}月${Number(ymd.slice(6, 8))}日`;
}

function holdersText(face: FaceData): string {
  return face.holders.map((h) => h.name).join('、');
}

/** Every face value must be printable: fail loudly, naming the character and the field, before any layout. */
function checkAllPrintable(face: FaceData): void {
  for (const [k, v] of Object.entries(face)) {
    if (typeof v === 'string') checkCoverage(v, 'serif', k);
  }
  for (const [i, h] of face.holders.entries()) checkCoverage(h.name, 'serif', `holders[${i}].name`);
  if (face.kind === 'property-certificate') {
    for (const [i, c] of (face.coOwners ?? []).entries()) checkCoverage(c.name, 'serif', `coOwners[${i}].name`);
  }
  if (face.kind === 'registration-proof') {
    for (const [i, o] of face.obligors.entries()) checkCoverage(o.name, 'serif', `obligors[${i}].name`);
  }
}

const SEAL_SIZE = 40;

function sealBlock(items: PageItem[], yTop: number, agencyLabelX: number, dateText: string): SealAnchor {
  items.push(text(agencyLabelX, yTop + 14, '登记机构（章）', 4.2, 'serif-bold'));
  items.push(text(agencyLabelX + 4, yTop + 34, dateText, 4.2));
  // The seal is centred over the 「登记机构（章）」 label, as on paper.
  return { pageIndex: 0, xMm: agencyLabelX + 10 - SEAL_SIZE / 2 + 12, yMm: yTop - 4, wMm: SEAL_SIZE, hMm: SEAL_SIZE };
}

export function layoutPropertyCertificate(face: PropertyCertificateFace, o: LayoutOptions): DocumentModel {
  checkAllPrintable(face);
  // Seal page (盖章页)
  const seal: PageItem[] = [...qrItems(o)];
  seal.push(centred(62, '中华人民共和国', 9, 'serif-bold'));
  seal.push(centred(80, '不动产权证书', 12, 'serif-bold'));
  const body =
    '根据《中华人民共和国民法典》等法律法规，为保护不动产权利人合法权益，对不动产权利人申请登记的本证所列不动产权利，经审查核实，准予登记，颁发此证。';
  const bodyRows = wrap(body, PAGE_W - 2 * (MARGIN + 8), 4.4);
  seal.push(...bodyRows.map((l, i) => text(MARGIN + 8, 108 + i * 8, l, 4.4)));
  const anchor = sealBlock(seal, 150, PAGE_W - MARGIN - 70, dateZh(o.issuedOn ?? face.registeredOn));
  seal.push(centred(212, face.certificateNo, 5, 'serif-bold'));
  if (face.serialNo) seal.push(centred(222, `编号 No. ${face.serialNo}`, 3.6));
  seal.push(centred(PAGE_H - 18, '中华人民共和国自然资源部监制', 3.4));
  seal.push(centred(PAGE_H - 12, `电子证照标识：${face.identifier}`, 2.6));
  const sealPage: PageModel = { widthMm: PAGE_W, heightMm: PAGE_H, items: seal };

  // Data page (登记页): the paper form's rows, 附记 after 权利其他状况 (Huangchuan 1.2).
  const co = face.coOwners?.length
    ? `${face.coOwnership}\n${face.coOwners.map((c) => `共有人：${c.name}${c.share !== undefined ? `，比例${c.share}%` : ''}${c.relation ? `（${c.relation}）` : ''}`).join('\n')}`
    : face.coOwnership;
  const term =
    face.termFrom || face.termTo
      ? `${face.termFrom ? dateZh(face.termFrom) : ''}起${face.termTo ? `${dateZh(face.termTo)}止` : ''}`
      : '';
  const rows: Row[] = [
    { label: '权利人', value: holdersText(face) },
    { label: '共有情况', value: co },
    { label: '坐落', value: face.location },
    { label: '不动产单元号', value: formatUnitNumber(face.unitNo) },
    { label: '权利类型', value: face.rightType },
    { label: '权利性质', value: face.rightNature ?? '' },
    { label: '用途', value: face.use },
    { label: '面积', value: `${face.area}${face.areaUnit}` },
    { label: '使用期限', value: term },
    { label: '权利其他状况', value: face.otherRights },
    { label: '附记', value: face.notes ?? '' },
  ];
  const header = (title: string): { items: PageItem[]; top: number; bottom: number } => ({
    items: [
      centred(22, title, 6, 'serif-bold'),
      text(MARGIN, 32, face.certificateNo, 3.4),
      line(MARGIN, 35, PAGE_W - MARGIN, 35, 0.6),
    ],
    top: 38,
    bottom: PAGE_H - 20,
  });
  const dataPages = flowTable(rows, header('不动产权证书（登记页）'), (n) => header(`续页（${n}）`), DEFAULT_TABLE);
  const pages = [sealPage, ...dataPages];
  if (face.boundaryPoints && face.boundaryPoints.length >= 3)
    pages.push(figurePage(face.boundaryPoints, face.figureNote, face.certificateNo));
  return {
    title: `不动产权证书 ${face.certificateNo}`,
    pages,
    meta: o.meta ?? {},
    sealAnchor: anchor,
    commonChars: COMMON_CHARS,
  };
}

export function layoutRegistrationProof(face: RegistrationProofFace, o: LayoutOptions): DocumentModel {
  checkAllPrintable(face);
  const items: PageItem[] = [...qrItems(o)];
  items.push(centred(50, '不动产登记证明', 10, 'serif-bold'));
  items.push(centred(62, face.proofNo, 4.2, 'serif-bold'));
  const rows: Row[] = [
    { label: '证明权利或事项', value: face.matter },
    { label: '权利人（申请人）', value: holdersText(face) },
    { label: '义务人', value: face.obligors.map((x) => x.name).join('、') },
    { label: '坐落', value: face.location },
    { label: '不动产单元号', value: formatUnitNumber(face.unitNo) },
    {
      label: '其他',
      value: `${face.relatedCertificateNo ? `不动产权证书号：${face.relatedCertificateNo}\n` : ''}${face.other}`,
    },
    { label: '附记', value: face.notes ?? '' },
  ];
  const pages = flowTable(
    rows,
    { items, top: 68, bottom: PAGE_H - 78 },
    (n) => ({
      items: [centred(22, `不动产登记证明 续页（${n}）`, 5, 'serif-bold'), text(MARGIN, 30, face.proofNo, 3.4)],
      top: 36,
      bottom: PAGE_H - 20,
    }),
    { ...DEFAULT_TABLE, labelWidth: 38 },
  );
  // The seal block goes at the foot of the first page (one page when the content fits, as the paper form).
  const first = pages[0]!;
  const firstItems = [...first.items];
  const anchor = sealBlock(firstItems, PAGE_H - 74, PAGE_W - MARGIN - 70, dateZh(o.issuedOn ?? face.registeredOn));
  firstItems.push(centred(PAGE_H - 12, `电子证照标识：${face.identifier}`, 2.6));
  pages[0] = { ...first, items: firstItems };
  return {
    title: `不动产登记证明 ${face.proofNo}`,
    pages,
    meta: o.meta ?? {},
    sealAnchor: anchor,
    commonChars: COMMON_CHARS,
  };
}

export function layoutCertificate(face: FaceData, o: LayoutOptions): DocumentModel {
  return face.kind === 'property-certificate' ? layoutPropertyCertificate(face, o) : layoutRegistrationProof(face, o);
}

/** A diagonal 「已注销」 on every page (Huangchuan 1.7: a visible watermark marks a cancelled certificate). */
export function watermarkCancelled(doc: DocumentModel, note?: string): DocumentModel {
  return {
    ...doc,
    title: `${doc.title}（已注销）`,
    pages: doc.pages.map((p) => ({
      ...p,
      items: [
        ...p.items,
        text(40, 200, '已注销', 40, 'serif-bold', { color: RED, rotateDeg: -35, opacity: 0.35 }),
        ...(note
          ? wrap(note, PAGE_W - 2 * MARGIN, 3).map((l, i, all) =>
              text(MARGIN, PAGE_H - 24 - (all.length - 1 - i) * 4.2, l, 3, 'serif', { color: RED }),
            )
          : []),
      ],
    })),
  };
}

/**
 * 加注件 (standards.md §9): the same certificate with a line on every page saying for whom, for what and until when
 * it may be used; the file is sealed anew, so the annotation cannot be removed without breaking the seal.
 */
export function annotate(doc: DocumentModel, note: string): DocumentModel {
  return {
    ...doc,
    title: `${doc.title}（加注件）`,
    pages: doc.pages.map((p) => ({
      ...p,
      items: [
        ...p.items,
        ...wrap(`【加注件】${note}`, PAGE_W - 2 * MARGIN, 3).map((l, i) =>
          text(MARGIN, 8 + i * 4, l, 3, 'serif-bold', { color: [0.1, 0.25, 0.6] }),
        ),
      ],
    })),
  };
}
