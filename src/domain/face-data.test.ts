import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SAMPLE_PROPERTY_CERTIFICATE as P,
  SAMPLE_REGISTRATION_PROOF as R,
} from '../../test/fixtures/domain/samples.js';
import { validateFace } from './face-data.js';
import { fromChineseRecord, toChineseRecord } from './field-names.js';

const TODAY = new Date('2026-11-22T00:00:00Z');
const errorsOf = (input: unknown, stage: 'complete' | 'input' = 'complete') => {
  const r = validateFace(input, { stage, today: TODAY });
  return r.problems.filter((p) => p.severity === 'error').map((p) => `${p.field}:${p.code}`);
};

describe('face data (附件2)', () => {
  test('the two 附件2 samples, filled with synthetic values, validate', () => {
    for (const s of [P, R]) {
      const r = validateFace(s, { today: TODAY });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
    }
  });

  test('the registration system’s input leaves out what bdcert generates', () => {
    const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, ...input } = P;
    assert.equal(validateFace(input, { stage: 'input', today: TODAY }).ok, true);
    assert.ok(errorsOf(input, 'complete').includes('certificateNo:INVALID_INVALID_TYPE'));
  });

  // ≥ 20 invalid variants, each rejected with the right field path and code.
  const variants: [string, unknown, string][] = [
    ['missing 坐落', { ...P, location: undefined }, 'location:INVALID_INVALID_TYPE'],
    ['blank 坐落', { ...P, location: '  ' }, 'location:INVALID_TOO_SMALL'],
    ['missing 权利其他状况', { ...P, otherRights: undefined }, 'otherRights:INVALID_INVALID_TYPE'],
    ['no 权利人', { ...P, holders: [] }, 'holders:INVALID_TOO_SMALL'],
    [
      'bad ID check char',
      { ...P, holders: [{ ...P.holders[0]!, idNumber: '411526198503120027' }] },
      'holders[0].idNumber:ID_NUMBER_CHECK',
    ],
    [
      'ID with impossible birth date',
      { ...P, holders: [{ ...P.holders[0]!, idNumber: '411526198502300024' }] },
      'holders[0].idNumber:ID_NUMBER_BIRTH_DATE',
    ],
    ['unknown ID type', { ...P, holders: [{ ...P.holders[0]!, idType: '777' }] }, 'holders[0].idType:UNKNOWN_ID_TYPE'],
    [
      'ID type not 3 digits',
      { ...P, holders: [{ ...P.holders[0]!, idType: '1' }] },
      'holders[0].idType:INVALID_INVALID_FORMAT',
    ],
    ['bad agency USCC', { ...P, agencyCode: '11411526MB1A00028M' }, 'agencyCode:USCC_CHECK'],
    ['登记时间 not a real date', { ...P, registeredOn: '20260230' }, 'registeredOn:INVALID_CUSTOM'],
    ['登记时间 with dashes', { ...P, registeredOn: '2026-11-20' }, 'registeredOn:INVALID_CUSTOM'],
    ['term start after end', { ...P, termFrom: '20900101', termTo: '20800430' }, 'termTo:TERM_ORDER'],
    ['area zero', { ...P, area: 0 }, 'area:INVALID_TOO_SMALL'],
    ['area not a number', { ...P, area: '九十八' }, 'area:INVALID_INVALID_TYPE'],
    ['unknown area unit code', { ...P, areaUnitCode: '9' }, 'areaUnitCode:UNKNOWN_AREA_UNIT'],
    ['area unit name vs code', { ...P, areaUnit: '亩' }, 'areaUnit:AREA_UNIT_MISMATCH'],
    ['share above 100', { ...P, coOwners: [{ ...P.coOwners![0]!, share: 120 }] }, 'coOwners[0].share:INVALID_TOO_BIG'],
    ['shares do not add up', { ...P, coOwnership: '按份共有 60%' }, 'coOwners:SHARES_NOT_100'],
    ['按份共有 without share', { ...P, coOwnership: '按份共有' }, 'coOwnership:SHARE_MISSING'],
    ['共有情况 unknown', { ...P, coOwnership: '大家一起' }, 'coOwnership:CO_OWNERSHIP_FORM'],
    ['单独所有 with co-owners', { ...P, coOwnership: '单独所有' }, 'coOwners:SOLE_WITH_CO_OWNERS'],
    ['unit number too short', { ...P, unitNo: '411526001002GB00123F0001020' }, 'unitNo:UNIT_NO_LENGTH'],
    ['unit number bad fixture code', { ...P, unitNo: '411526001002GB00123K00010203' }, 'unitNo:UNIT_NO_FORMAT'],
    ['unknown right type code', { ...P, rightTypeCode: '77' }, 'rightTypeCode:UNKNOWN_RIGHT_TYPE'],
    ['right type name vs code', { ...P, rightType: '宅基地使用权' }, 'rightType:RIGHT_TYPE_MISMATCH'],
    ['identifier check char', { ...P, identifier: P.identifier.replace(/\.6$/, '.7') }, 'identifier:IDENTIFIER_CHECK'],
    ['certificate number form', { ...P, certificateNo: '豫2026潢川县不动产权第123号' }, 'certificateNo:CERT_NO_FORMAT'],
    [
      'certificate number says 证明',
      { ...P, certificateNo: '豫(2026)潢川县不动产证明第0000123号' },
      'certificateNo:CERT_NO_KIND',
    ],
    ['proof without 义务人', { ...R, obligors: [] }, 'obligors:INVALID_TOO_SMALL'],
    ['proof matter unknown', { ...R, matter: '租赁权' }, 'matter:UNKNOWN_MATTER'],
    ['proof matter code vs name', { ...R, matter: '地役权' }, 'matterCode:MATTER_CODE_MISMATCH'],
    [
      'proof holder USCC bad',
      { ...R, holders: [{ ...R.holders[0]!, idNumber: '11410100MB00000193' }] },
      'holders[0].idNumber:USCC_CHECK',
    ],
    ['proof number is a 权证号', { ...R, proofNo: '豫(2026)潢川县不动产权第0000045号' }, 'proofNo:CERT_NO_KIND'],
    ['unknown kind', { ...P, kind: 'permit' }, 'kind:INVALID_INVALID_UNION'],
  ];
  for (const [name, input, expected] of variants) {
    test(`rejects: ${name}`, () => {
      const r = validateFace(input, { today: TODAY });
      assert.equal(r.ok, false);
      assert.ok(errorsOf(input).includes(expected), `expected ${expected}, got ${JSON.stringify(errorsOf(input))}`);
      for (const p of r.problems) {
        assert.match(p.message, /[\u4e00-\u9fa5]/, `Chinese message for ${p.code}`);
        assert.match(p.messageEn, /[A-Za-z]/, `English message for ${p.code}`);
      }
    });
  }

  test('every problem is reported at once', () => {
    const r = validateFace({ ...P, location: '', area: -1, agencyCode: 'X', registeredOn: '2026' }, { today: TODAY });
    const fields = new Set(r.problems.map((p) => p.field));
    for (const f of ['location', 'area', 'agencyCode', 'registeredOn']) assert.ok(fields.has(f), `${f} reported`);
  });

  test('implausible right type for the unit number is a warning, not an error', () => {
    const r = validateFace({ ...P, rightTypeCode: '3', rightType: '国有建设用地使用权' }, { today: TODAY });
    assert.equal(r.ok, true);
    assert.ok(r.problems.some((p) => p.code === 'RIGHT_TYPE_UNIT_IMPLAUSIBLE' && p.severity === 'warning'));
  });

  test('Chinese-headed rows map to our fields and back', () => {
    const row = toChineseRecord('property-certificate', P);
    assert.equal(row.坐落, P.location);
    assert.equal(row.权利人, '张三');
    assert.equal(row.共有人, '李四');
    const { record, unknownHeaders } = fromChineseRecord('property-certificate', { ...row, 多余列: 'x' });
    assert.deepEqual(unknownHeaders, ['多余列']);
    const r = validateFace(record, { today: TODAY });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.ok(r.ok && r.value.kind === 'property-certificate' && r.value.area === 98.56);
    const proofRow = toChineseRecord('registration-proof', R);
    assert.equal(proofRow.义务人, '张三');
    assert.equal(validateFace(fromChineseRecord('registration-proof', proofRow).record, { today: TODAY }).ok, true);
  });
});
