import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  checkIdentifier,
  makeIdentifier,
  mod3736CheckChar,
  mod3736Valid,
  nextVersion,
  parseIdentifier,
} from './identifier.js';
import { checkIdNumber, idNumberCheckChar } from './validators/id-number.js';
import { checkUscc, orgCodeCheckChar, USCC_ALPHABET, usccCheckChar } from './validators/uscc.js';

const A36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('电子证照标识 (standards.md §1.2)', () => {
  const published: [string, boolean][] = [
    ['1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0', true],
    ['1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9', true],
    ['1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U', true],
    ['1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S', true],
    ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F', true],
    // produced by the divergent vendor algorithm: not standard, recognised as such (warning)
    ['1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M', false],
    // a code comment, probably made up: wrong check character (error)
    ['1.2.156.3005.2.11100000000013338W050.91610800064834709T.2023000001.001.X', false],
  ];
  for (const [id, standard] of published) {
    test(`published ${id.slice(15, 40)}… ${standard ? 'passes' : 'fails'} ISO 7064 MOD 37,36`, () => {
      const p = parseIdentifier(id)!;
      const body = `${p.typeCode}${p.issuerCode}${p.serial}${String(p.version).padStart(3, '0')}`;
      assert.equal(mod3736CheckChar(body) === p.check, standard);
    });
  }

  test('synthetic vectors', () => {
    const base = { typeCode: '11100000MB03271699001', issuerCode: '11410100MB00000192', serial: '000000001' };
    assert.equal(
      makeIdentifier({ ...base, version: 1 }),
      '1.2.156.3005.2.11100000MB03271699001.11410100MB00000192.000000001.001.J',
    );
    assert.equal(makeIdentifier({ ...base, version: 2 }).slice(-1), 'H');
    assert.equal(makeIdentifier({ ...base, typeCode: '11100000MB03271699022', version: 1 }).slice(-1), 'I');
    assert.equal(makeIdentifier({ ...base, typeCode: '11100000MB03271699002', version: 1 }).slice(-1), 'V');
    assert.equal(nextVersion(makeIdentifier({ ...base, version: 1 })), makeIdentifier({ ...base, version: 2 }));
  });

  test('the Shandong identifier is a warning, the made-up one an error, a region-code issuer a warning', () => {
    const w = checkIdentifier(published[5]![0]);
    assert.deepEqual(
      w.map((p) => `${p.code}:${p.severity}`),
      ['IDENTIFIER_NONSTANDARD_CHECK:warning'],
    );
    const e = checkIdentifier(published[6]![0]);
    assert.ok(e.some((p) => p.code === 'IDENTIFIER_CHECK' && p.severity === 'error'));
    const hefei = checkIdentifier(published[1]![0]);
    assert.deepEqual(
      hefei.map((p) => `${p.code}:${p.severity}`),
      ['IDENTIFIER_ISSUER:warning'],
    );
    assert.deepEqual(
      checkIdentifier('1.2.156.3005.2.x'.toString()).map((p) => p.code),
      ['IDENTIFIER_FORMAT'],
    );
  });

  test('property: every generated check validates; every single-character change is detected', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...A36), minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        (s, pos, delta) => {
          const full = s + mod3736CheckChar(s);
          assert.equal(mod3736Valid(full), true);
          const i = pos % full.length;
          const replacement = A36[(A36.indexOf(full[i]!) + 1 + (delta % 35)) % 36]!;
          const changed = full.slice(0, i) + replacement + full.slice(i + 1);
          assert.equal(mod3736Valid(changed), false, `${full} → ${changed}`);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('公民身份号码 GB 11643 (standards.md §5.1)', () => {
  test('vectors', () => {
    for (const v of ['11010519491231002X', '440524188001010014', '410102199001010012']) {
      assert.deepEqual(checkIdNumber(v, 'id', new Date('2026-01-01')), [], v);
    }
    assert.deepEqual(
      checkIdNumber('11010519491231002x').map((p) => p.code),
      [],
      'lower-case x accepted',
    );
    assert.deepEqual(
      checkIdNumber('110105194912310021').map((p) => p.code),
      ['ID_NUMBER_CHECK'],
    );
    assert.deepEqual(
      checkIdNumber('110105194913310029')
        .map((p) => p.code)
        .includes('ID_NUMBER_BIRTH_DATE'),
      true,
    );
    assert.deepEqual(
      checkIdNumber('990105194912310023')
        .map((p) => p.code)
        .includes('ID_NUMBER_REGION'),
      true,
    );
  });

  test('property: generated numbers validate; any single-digit change is detected', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 17, maxLength: 17 }),
        fc.nat(16),
        fc.integer({ min: 1, max: 9 }),
        (b, i, d) => {
          const full = b + idNumberCheckChar(b);
          const changedDigit = String((Number(b[i]) + d) % 10);
          const changed = b.slice(0, i) + changedDigit + b.slice(i + 1) + full[17];
          assert.notEqual(
            idNumberCheckChar(changed.slice(0, 17)),
            full[17],
            'MOD 11-2 detects every single substitution',
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('统一社会信用代码 GB 32100 (standards.md §5.2)', () => {
  test('vectors (both checks)', () => {
    for (const v of [
      '11100000MB03271699',
      '11430000006122244L',
      '11330105002500287C',
      '11420503087246977F',
      '11110000000021135M',
      '113700000045030270',
      '113700000045046442',
      '11100000000013338W',
      '91350100M000100Y43',
      '11410100MB00000192',
    ]) {
      assert.deepEqual(checkUscc(v), [], v);
    }
    assert.deepEqual(
      checkUscc('11100000MB03271698').map((p) => p.code),
      ['USCC_CHECK'],
    );
    assert.ok(checkUscc('11100000MB03271I99').some((p) => p.code === 'USCC_FORMAT'));
  });

  test('the embedded organisation code check is enforced', () => {
    // valid outer check, broken inner check: recompute the outer char after breaking the inner one
    const body = '11410100MB0000018';
    const broken = body + usccCheckChar(body);
    assert.ok(checkUscc(broken).some((p) => p.code === 'USCC_ORG_CHECK'));
  });

  test('property: generated codes validate; any single-character change is detected', () => {
    const orgChars = [...'0123456789ABCDEFGHJKLMNPQRTUWXY'];
    fc.assert(
      fc.property(
        fc.constantFrom('11', '12', '91', '93'),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 6, maxLength: 6 }),
        fc.string({ unit: fc.constantFrom(...orgChars), minLength: 8, maxLength: 8 }),
        fc.nat(17),
        fc.integer({ min: 1, max: 30 }),
        (head, region, org8, i, d) => {
          const body = head + region + org8 + orgCodeCheckChar(org8);
          const full = body + usccCheckChar(body);
          assert.deepEqual(
            checkUscc(full).filter((p) => p.code === 'USCC_CHECK'),
            [],
          );
          const c = full[i]!;
          const repl = USCC_ALPHABET[(USCC_ALPHABET.indexOf(c) + d) % 31]!;
          const changed = full.slice(0, i) + repl + full.slice(i + 1);
          assert.notDeepEqual(checkUscc(changed), [], `${full} → ${changed}`);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
