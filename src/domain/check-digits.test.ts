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
    // ISO 7064 hybrid systems detect all single substitutions, so the undetectable set is empty: try every
    // position (check character included) and every other character of the alphabet.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...A36), minLength: 1, maxLength: 40 }), (s) => {
        const full = s + mod3736CheckChar(s);
        assert.equal(mod3736Valid(full), true);
        const undetected: string[] = [];
        for (let i = 0; i < full.length; i++) {
          for (const c of A36) {
            if (c === full[i]) continue;
            const changed = full.slice(0, i) + c + full.slice(i + 1);
            if (mod3736Valid(changed)) undetected.push(changed);
          }
        }
        assert.deepEqual(undetected, [], full);
      }),
      { numRuns: 300 },
    );
  });

  test('property: generated identifiers pass checkIdentifier without problems', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...A36), minLength: 1, maxLength: 32 }),
        fc.integer({ min: 1, max: 999 }),
        (serial, version) => {
          const id = makeIdentifier({
            typeCode: '11100000MB03271699001',
            issuerCode: '11410100MB00000192',
            serial,
            version,
          });
          assert.deepEqual(checkIdentifier(id), [], id);
        },
      ),
      { numRuns: 500 },
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

  test('property: generated numbers validate; every single-character change is detected', () => {
    // MOD 11-2: every weight is non-zero mod 11 and two digits differ by less than 11, so every substitution in
    // positions 1–17 changes the sum; a different check character is a mismatch. Undetectable set: empty.
    const today = new Date('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.constantFrom('110105', '410102', '411526', '440524', '510104', '650102'),
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        (region, birth, seq) => {
          const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
          const b = region + ymd + String(seq).padStart(3, '0');
          const full = b + idNumberCheckChar(b);
          assert.deepEqual(checkIdNumber(full, 'id', today), [], full);
          const undetected: string[] = [];
          for (let i = 0; i < 18; i++) {
            for (const c of i < 17 ? '0123456789' : '0123456789X') {
              if (c === full[i]) continue;
              const changed = full.slice(0, i) + c + full.slice(i + 1);
              if (!checkIdNumber(changed, 'id', today).some((p) => p.code === 'ID_NUMBER_CHECK')) {
                undetected.push(changed);
              }
            }
          }
          assert.deepEqual(undetected, [], full);
        },
      ),
      { numRuns: 500 },
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

  test('property: generated codes validate; every single-character change is detected', () => {
    // Weights 3^(i−1) mod 31 are non-zero and 31 is prime, so every substitution within the 31-character alphabet
    // changes the sum mod 31: the outer check alone catches all of them (undetectable set: empty).
    const orgChars = [...'0123456789ABCDEFGHJKLMNPQRTUWXY'];
    fc.assert(
      fc.property(
        fc.constantFrom('11', '12', '91', '93'),
        fc.constantFrom('110000', '410100', '411526', '440300'),
        fc.string({ unit: fc.constantFrom(...orgChars), minLength: 8, maxLength: 8 }),
        (head, region, org8) => {
          const body = head + region + org8 + orgCodeCheckChar(org8);
          const check = usccCheckChar(body);
          const full = body + check;
          assert.deepEqual(checkUscc(full), [], full);
          const undetected: string[] = [];
          for (let i = 0; i < 18; i++) {
            for (const c of USCC_ALPHABET) {
              if (c === full[i]) continue;
              const changed = full.slice(0, i) + c + full.slice(i + 1);
              if (!checkUscc(changed).some((p) => p.code === 'USCC_CHECK')) undetected.push(changed);
            }
          }
          assert.deepEqual(undetected, [], full);
        },
      ),
      { numRuns: 500 },
    );
  });
});
