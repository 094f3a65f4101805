import { Sm2PrivateKey } from '../../src/crypto/sm2.js';
import type { DocumentModel, PageItem } from '../../src/documents/page-model.js';
import {
  encodeInfoQr,
  type InfoQrFacts,
  renderInfoQr,
  renderQueryQr,
  verificationUrl,
} from '../../src/documents/qr/index.js';

/**
 * A hand-made two-page 不动产权证书 model (seal page with both QR codes top-left, data page) with synthetic values,
 * used to test the PDF writer and the QR round trip independently of the layouts. Deterministic except the SM2
 * signature inside the info QR (random k); snapshot comparison masks that image.
 */
export const NODE_KEY = Sm2PrivateKey.fromRaw('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
export const BASE_URL = 'https://bdc.example.gov.cn';
export const TOKEN = 'Q2VydGlmaWNhdGVUb2tlbjEy';
export const NUMBER = '豫（2024）潢川县不动产权第0001234号';
export const LOCATION = '潢川县春申街道跃进路188号幸福小区3号楼2单元501室';
export const QR_INFO_RECT = { xMm: 44, yMm: 12, wMm: 28, hMm: 28 } as const;

export const FACTS: InfoQrFacts = {
  kind: 'certificate',
  identifier: '1.2.156.3005.2.11100000000013338W.11411526MB1234567X.0001234.001',
  number: NUMBER,
  unitNumber: '411526001001GB00001F00010001',
  holder: '张三',
  issueDate: '20240504',
  issuerCode: '11411526MB1234567X',
};

const t = (xMm: number, yMm: number, text: string, sizeMm = 4.2, font: 'serif' | 'serif-bold' = 'serif'): PageItem => ({
  kind: 'text',
  xMm,
  yMm,
  sizeMm,
  text,
  font,
});

export async function fixtureDocument(opts: { cancelled?: boolean } = {}): Promise<{
  doc: DocumentModel;
  queryUrl: string;
  infoPayload: string;
}> {
  const queryUrl = verificationUrl(BASE_URL, TOKEN);
  const infoPayload = await encodeInfoQr(FACTS, NODE_KEY.asSigner());
  const seal: PageItem[] = [
    {
      kind: 'image',
      xMm: 12,
      yMm: 12,
      wMm: 28,
      hMm: 28,
      png: renderQueryQr(queryUrl, { sizeMm: 28 }).png,
      role: 'qr-query',
    },
    { kind: 'image', ...QR_INFO_RECT, png: renderInfoQr(infoPayload, { sizeMm: 28 }).png, role: 'qr-info' },
    t(72, 80, '不动产权证书', 11, 'serif-bold'),
    t(40, 120, NUMBER, 5),
    t(60, 200, '登记机构（章）', 5),
    t(66, 220, '2024年05月04日', 5),
  ];
  const rows: [string, string][] = [
    ['权利人', '张三'],
    ['共有情况', '单独所有'],
    ['坐落', LOCATION],
    ['不动产单元号', FACTS.unitNumber],
    ['权利类型', '国有建设用地使用权/房屋所有权'],
    ['用途', '城镇住宅用地/住宅'],
    ['面积', '共有宗地面积1234.56㎡/房屋建筑面积98.76㎡'],
    ['权利其他状况', '专有建筑面积85.20㎡，分摊建筑面积13.56㎡'],
  ];
  const data: PageItem[] = [];
  rows.forEach(([k, v], i) => {
    const y = 30 + i * 16;
    data.push({
      kind: 'path',
      points: [
        [15, y - 7],
        [195, y - 7],
      ],
      closed: false,
      strokeMm: 0.3,
    });
    data.push(t(18, y, k, 4));
    data.push(t(55, y, v, 3.8));
  });
  data.push({
    kind: 'path',
    points: [
      [15, 16],
      [195, 16],
      [195, 160],
      [15, 160],
    ],
    closed: true,
    strokeMm: 0.5,
    stroke: [120, 60, 20],
  });
  data.push({
    kind: 'path',
    points: [
      [50, 16],
      [50, 160],
    ],
    closed: false,
    strokeMm: 0.3,
  });
  const pages = [seal, data].map((items) =>
    opts.cancelled
      ? [
          ...items,
          {
            kind: 'text',
            xMm: 40,
            yMm: 200,
            sizeMm: 30,
            text: '已注销',
            font: 'serif-bold',
            color: [200, 0, 0],
            rotateDeg: -35,
            opacity: 0.35,
          } as PageItem,
        ]
      : items,
  );
  return {
    doc: {
      title: `不动产权证书 ${NUMBER}`,
      pages: pages.map((items) => ({ widthMm: 210, heightMm: 297, items })),
      meta: { 证照编号: NUMBER, 证照标识: FACTS.identifier, 坐落: LOCATION },
      sealAnchor: { pageIndex: 0, xMm: 55, yMm: 180, wMm: 42, hMm: 42 },
    },
    queryUrl,
    infoPayload,
  };
}
