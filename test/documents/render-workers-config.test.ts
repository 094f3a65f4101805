import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('BDCERT_RENDER_WORKERS (typed configuration)', () => {
  test('unset means one worker per core (undefined), a number is taken as given, 0 renders on the main thread', () => {
    assert.equal(loadConfig({}).renderWorkers, undefined);
    assert.equal(loadConfig({ BDCERT_RENDER_WORKERS: '' }).renderWorkers, undefined);
    assert.equal(loadConfig({ BDCERT_RENDER_WORKERS: '3' }).renderWorkers, 3);
    assert.equal(loadConfig({ BDCERT_RENDER_WORKERS: '0' }).renderWorkers, 0);
  });

  for (const bad of ['two', '-1', '65', '1.5']) {
    test(`${bad} stops the start with an error naming the variable`, () => {
      assert.throws(
        () => loadConfig({ BDCERT_RENDER_WORKERS: bad }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.issues.length === 1 &&
          e.issues[0]?.variable === 'BDCERT_RENDER_WORKERS' &&
          e.issues[0].got === bad &&
          /0–64/.test(e.issues[0].expected),
      );
    });
  }
});
