import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SAMPLE_REGISTRATION_PROOF as R } from '../../../test/fixtures/domain/samples.js';
import { validateFace } from '../face-data.js';
import { applyCodeTableOverride, BUILTIN_CODE_TABLES, proofMatterNames, tableOf } from './override.js';

describe('code tables as configuration (issue 3 §3)', () => {
  test('extending 证明权利或事项 adds codes, keeps the seeded ones and labels the version', () => {
    const r = applyCodeTableOverride({
      version: '豫-2026-01',
      tables: {
        proofMatter: {
          entries: [
            { code: '12', name: '地役权' },
            { code: '11', name: '抵押权' },
          ],
        },
      },
    });
    assert.ok(r.ok, JSON.stringify(r.problems));
    const t = tableOf(r.value, 'proofMatter');
    assert.deepEqual(
      t.entries.map((e) => e.code),
      ['11', '12'],
    );
    assert.equal(t.version, 'seed-2026+豫-2026-01');
    assert.equal(t.confidence, 'configuration');
    assert.equal(r.value.version, 'builtin+豫-2026-01');
    // Verified tables are the compiled ones, untouched.
    assert.equal(tableOf(r.value, 'idType'), tableOf(BUILTIN_CODE_TABLES, 'idType'));
  });

  test('replace swaps the seeded entries; a new matter name becomes acceptable', () => {
    const r = applyCodeTableOverride({
      version: 'v2',
      tables: {
        proofMatter: {
          mode: 'replace',
          entries: [
            { code: '11', name: '抵押权' },
            { code: '15', name: '土地经营权' },
          ],
        },
      },
    });
    assert.ok(r.ok);
    assert.ok(proofMatterNames(r.value).includes('土地经营权'));
    const { proofNo: _a, identifier: _b, infoQr: _c, queryQr: _d, ...input } = R;
    const face = { ...input, matter: '土地经营权', matterCode: '15' };
    const builtin = validateFace(face, { stage: 'input' });
    assert.equal(builtin.ok, false);
    assert.ok(builtin.problems.some((p) => p.code === 'UNKNOWN_MATTER'));
    const configured = validateFace(face, { stage: 'input', codeTables: r.value });
    assert.equal(configured.ok, true, JSON.stringify(configured.problems));
    assert.ok(!configured.problems.some((p) => p.code === 'MATTER_CODE_UNVERIFIED'), 'the code is now known');
  });

  test('verified tables, unknown tables, renamed codes, duplicates and a missing version are refused, all reported', () => {
    const r = applyCodeTableOverride({
      version: '2026',
      tables: {
        idType: { entries: [{ code: '777', name: '自创证件' }] },
        nope: { entries: [{ code: '1', name: 'x' }] },
        proofMatter: {
          entries: [
            { code: '11', name: '地役权' },
            { code: '12', name: '居住权' },
            { code: '12', name: '居住权' },
          ],
        },
      },
    });
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems.map((p) => [p.code, p.field]).sort(), [
      ['CODE_NAME_CONFLICT', 'tables.proofMatter.entries.0.name'],
      ['CODE_TABLE_NOT_CONFIGURABLE', 'tables.idType'],
      ['DUPLICATE_CODE', 'tables.proofMatter.entries.2.code'],
      ['UNKNOWN_CODE_TABLE', 'tables.nope'],
    ]);
    const noVersion = applyCodeTableOverride({ tables: {} });
    assert.equal(noVersion.ok, false);
    assert.equal(noVersion.problems[0]?.field, 'version');
  });
});
