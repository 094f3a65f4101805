import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catalogEntry, DEFAULT_PROOF_TYPE_CODE, typeCodeOf } from './catalog.js';
import {
  checkCertificateNumber,
  formatCertificateNumber,
  normaliseCertificateNumber,
  parseCertificateNumber,
} from './certificate-number.js';
import { CODE_TABLES } from './codes/tables.js';
import { decideDocument } from './document-decision.js';
import {
  type CertificateStatus,
  canTransition,
  catalogStatusOf,
  INITIAL_STATE,
  type LifecycleEvent,
  type LifecycleState,
  transition,
} from './lifecycle.js';
import { DomainError } from './problem.js';
import { divisionName, isDivisionCode } from './validators/division.js';
import { checkUnitNumber, formatUnitNumber, parseUnitNumber, plausibleRightTypes } from './validators/unit-number.js';

describe('不动产单元号 (standards.md §3)', () => {
  test('real examples parse and display in four groups', () => {
    for (const u of ['330110119001GB04246F00080003', '320311001021GB00233F00010013']) {
      assert.deepEqual(checkUnitNumber(u), [], u);
    }
    // Wuxi placeholder region during the transition period: structure valid, region unknown → warning only
    const wuxi = checkUnitNumber('320282999999GB99999F00232555');
    assert.ok(wuxi.every((p) => p.severity === 'warning'));
    assert.equal(formatUnitNumber('330110119001GB04246F00080003'), '330110 119001 GB04246 F00080003');
    assert.deepEqual(checkUnitNumber('330110 119001 GB04246 F00080003'), [], 'spaces are stripped');
    const p = parseUnitNumber('330110119001GB04246F00080003')!;
    assert.deepEqual([p.ownership, p.parcelType, p.fixture, p.fixtureUnit], ['G', 'B', 'F', '00080003']);
  });
  test('malformed numbers are rejected with a code', () => {
    assert.deepEqual(
      checkUnitNumber('330110119001GB04246F0008000').map((p) => p.code),
      ['UNIT_NO_LENGTH'],
    );
    assert.deepEqual(
      checkUnitNumber('330110119001XB04246F00080003').map((p) => p.code),
      ['UNIT_NO_FORMAT'],
    );
    assert.deepEqual(
      checkUnitNumber('330110119001GB04246W00080003').map((p) => p.code),
      ['UNIT_NO_FIXTURE'],
    );
  });
  test('right-type plausibility (gtmap rules)', () => {
    assert.deepEqual(plausibleRightTypes('330110119001GB04246F00080003'), ['4', '24']);
    assert.deepEqual(plausibleRightTypes('330110119001JA04246W00000000'), ['1']);
    assert.deepEqual(plausibleRightTypes('330110119001GA04246W00000000'), ['2']);
    assert.deepEqual(plausibleRightTypes('330110119001JC04246F00010001'), ['6']);
    assert.deepEqual(plausibleRightTypes('330110119001GH04246W00000000'), ['15']);
  });
});

describe('证号 (standards.md §4)', () => {
  test('examples parse; full-width brackets are normalised', () => {
    for (const n of [
      '豫(2015)郑州市不动产权第0000001号',
      '苏(2019)徐州市不动产权第0020128号',
      '浙(2020)余杭区不动产权第0130664号',
    ]) {
      assert.deepEqual(checkCertificateNumber(n, 'n', 'property-certificate'), [], n);
    }
    for (const n of ['蒙(2016)乌兰浩特市不动产证明第0003309号', '皖(2016)芜湖县不动产证明第0000129号']) {
      assert.deepEqual(checkCertificateNumber(n, 'n', 'registration-proof'), [], n);
    }
    assert.equal(
      normaliseCertificateNumber('豫（2015）郑州市不动产权第 0000001 号'),
      '豫(2015)郑州市不动产权第0000001号',
    );
    assert.deepEqual(parseCertificateNumber('豫（2026）潢川县不动产证明第0000045号'), {
      provinceAbbr: '豫',
      year: 2026,
      cityCounty: '潢川县',
      kind: 'registration-proof',
      serial: 45,
    });
  });
  test('the seed’s 证明 example with 不动产权 is flagged as the wrong kind', () => {
    assert.deepEqual(
      checkCertificateNumber('豫（2015）郑州市不动产权第 0000001 号', 'proofNo', 'registration-proof').map(
        (p) => p.code,
      ),
      ['CERT_NO_KIND'],
    );
  });
  test('format pads to 7 digits and refuses out-of-range serials', () => {
    assert.equal(
      formatCertificateNumber({
        provinceAbbr: '豫',
        year: 2026,
        cityCounty: '潢川县',
        kind: 'property-certificate',
        serial: 123,
      }),
      '豫(2026)潢川县不动产权第0000123号',
    );
    assert.throws(() =>
      formatCertificateNumber({
        provinceAbbr: '豫',
        year: 2026,
        cityCounty: '潢川县',
        kind: 'property-certificate',
        serial: 10_000_000,
      }),
    );
  });
});

describe('catalog (附件1) and code tables', () => {
  test('fixed catalog values; the 证明 type code is configuration', () => {
    const p = catalogEntry('property-certificate');
    assert.equal(p.证照类型代码, '11100000MB03271699001');
    assert.equal(p.证照名称, '中华人民共和国不动产权证书');
    assert.equal(p.关联事项代码, '00071500100Y');
    assert.equal(catalogEntry('registration-proof').证照类型代码, DEFAULT_PROOF_TYPE_CODE);
    assert.equal(typeCodeOf('registration-proof', { proofTypeCode: '11100000MB03271699022' }), '11100000MB03271699022');
    assert.equal(catalogEntry('registration-proof', undefined, -2).证照目录状态, -2);
  });
  test('code tables name their source and hold the Henan sample values', () => {
    for (const t of CODE_TABLES) {
      assert.ok(t.source && t.version && t.entries.length > 0, t.id);
      assert.equal(new Set(t.entries.map((e) => e.code)).size, t.entries.length, `${t.id} codes unique`);
    }
    const byId = Object.fromEntries(CODE_TABLES.map((t) => [t.id, t]));
    const has = (id: string, code: string) => byId[id]!.entries.some((e) => e.code === code);
    assert.ok(has('idType', '111') && has('houseUse', '10') && has('areaUnit', '1') && has('rightType', '1'));
    assert.ok(has('rightNature', '200') && has('proofMatter', '11') && has('holderType', '10'));
  });
  test('GB/T 2260 codes come from the dataset; 开发区 codes are not divisions', () => {
    assert.equal(divisionName('411526'), '潢川县');
    assert.equal(divisionName('410000'), '河南省');
    assert.equal(isDivisionCode('411771'), false);
    assert.equal(isDivisionCode('999999'), false);
  });
});

describe('registration → document (Sichuan Art. 5–6)', () => {
  const cases: [string, string | undefined, string | undefined, string, string?][] = [
    ['100', '4', undefined, 'property-certificate'],
    ['200', '4', undefined, 'property-certificate'],
    ['300', '6', undefined, 'property-certificate'],
    ['500', '4', undefined, 'property-certificate'],
    ['900', '3', undefined, 'property-certificate'],
    ['100', '23', undefined, 'registration-proof', '抵押权'],
    ['200', '23', undefined, 'registration-proof', '抵押权'],
    ['100', '19', undefined, 'registration-proof', '地役权'],
    ['700', '4', undefined, 'registration-proof', '预告登记'],
    ['600', '4', undefined, 'registration-proof', '异议登记'],
    ['100', undefined, '居住权', 'registration-proof', '居住权'],
    ['400', '4', undefined, 'none'],
    ['400', '23', undefined, 'none'],
    ['800', '4', undefined, 'none'],
  ];
  for (const [reg, right, rightName, doc, matter] of cases) {
    test(`登记类型 ${reg}, 权利类型 ${right ?? rightName} → ${doc}${matter ? ` (${matter})` : ''}`, () => {
      const d = decideDocument({
        registrationType: reg,
        ...(right ? { rightType: right } : {}),
        ...(rightName ? { rightTypeName: rightName } : {}),
      });
      assert.equal(d.document, doc);
      if (matter) assert.equal(d.document !== 'none' && d.matter, matter);
      assert.match(d.reason, /四川第[五六]条/);
    });
  }
});

describe('life cycle (Nanyang Art. 9, Huangchuan 2.2, 4.3)', () => {
  const S = (status: CertificateStatus, collected = false, pledged = false): LifecycleState => ({
    status,
    collected,
    pledged,
  });
  const ALL_STATES: LifecycleState[] = [
    S('draft'),
    S('pending-seal'),
    S('issued'),
    S('issued', true),
    S('issued', false, true),
    S('suspended'),
    S('superseded'),
    S('cancelled'),
    S('revoked'),
    S('voided'),
    S('rolled-back'),
  ];
  const ALL_EVENTS: LifecycleEvent[] = [
    'render',
    'seal',
    'collect',
    'supersede',
    'cancel',
    'revoke',
    'void',
    'suspend',
    'resume',
    'rollback',
    'pledge',
    'release-pledge',
    'renew',
    'change',
  ];
  const key = (s: LifecycleState) => `${s.status}${s.collected ? '+collected' : ''}${s.pledged ? '+pledged' : ''}`;
  /** Every allowed transition, written out; anything not listed must be refused. */
  const ALLOWED: Record<string, string> = {
    'draft/render': 'pending-seal',
    'pending-seal/seal': 'issued',
    'pending-seal/rollback': 'rolled-back',
    ...Object.fromEntries(
      ['issued', 'issued+collected', 'issued+pledged'].flatMap((k) => [
        // the collected and pledged markers stay with the certificate whatever its status
        [`${k}/supersede`, k.replace('issued', 'superseded')],
        [`${k}/cancel`, k.replace('issued', 'cancelled')],
        [`${k}/revoke`, k.replace('issued', 'revoked')],
        [`${k}/void`, k.replace('issued', 'voided')],
        [`${k}/suspend`, k.replace('issued', 'suspended')],
        [`${k}/renew`, k],
        [`${k}/change`, k],
        [
          `${k}/collect`,
          k === 'issued'
            ? 'issued+collected'
            : k === 'issued+pledged'
              ? 'issued+collected+pledged'
              : 'issued+collected',
        ],
      ]),
    ),
    'issued/rollback': 'rolled-back',
    'issued+pledged/rollback': 'rolled-back+pledged',
    'issued/pledge': 'issued+pledged',
    'issued+collected/pledge': 'issued+collected+pledged',
    'issued+pledged/release-pledge': 'issued',
    'suspended/resume': 'issued',
    'suspended/supersede': 'superseded',
    'suspended/cancel': 'cancelled',
    'suspended/revoke': 'revoked',
    'suspended/void': 'voided',
  };
  for (const s of ALL_STATES) {
    for (const e of ALL_EVENTS) {
      const k = `${key(s)}/${e}`;
      const expected = ALLOWED[k];
      test(`${k} → ${expected ?? 'refused'}`, () => {
        if (expected) {
          assert.equal(key(transition(s, e)), expected);
          assert.equal(canTransition(s, e), true);
        } else {
          assert.equal(canTransition(s, e), false);
          assert.throws(
            () => transition(s, e),
            (err: unknown) =>
              err instanceof DomainError && err.code === 'ILLEGAL_TRANSITION' && /[\u4e00-\u9fa5]/.test(err.message),
          );
        }
      });
    }
  }
  test('a collected certificate cannot be rolled back; the message says to use a correction registration', () => {
    assert.throws(() => transition(S('issued', true), 'rollback'), /更正登记/);
  });
  test('the normal path and the catalog status', () => {
    let s = INITIAL_STATE;
    for (const e of ['render', 'seal', 'collect'] as const) s = transition(s, e);
    assert.deepEqual(s, S('issued', true));
    assert.equal(catalogStatusOf('issued'), 11);
    for (const st of ['cancelled', 'superseded', 'suspended', 'pending-seal'] as const)
      assert.equal(catalogStatusOf(st), -2);
  });
});
