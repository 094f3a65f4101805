import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidResidentIdNumber, maskIdNumber, maskName, maskPhone } from './mask.js';

describe('masking', () => {
  test('ID numbers keep the first and last four characters', () => {
    assert.equal(maskIdNumber('41152619800101123X'), '4115**********123X');
    assert.equal(maskIdNumber('91411526MA44XXXX1Y'), '9141**********XX1Y');
    assert.equal(maskIdNumber('G1234567'), 'G******7');
    assert.equal(maskIdNumber(''), '');
  });
  test('names keep the first character, counted in code points', () => {
    assert.equal(maskName('张三'), '张*');
    assert.equal(maskName('欧阳娜娜'), '欧***');
    assert.equal(maskName('𠈌三'), '𠈌*'); // Extension B character is one character
    assert.equal(maskName('王'), '王');
  });
  test('phones keep 3 + 4 digits', () => {
    assert.equal(maskPhone('13812345678'), '138****5678');
  });
  test('GB 11643 check character', () => {
    // 11010519491231002X is the standard's worked example.
    assert.equal(isValidResidentIdNumber('11010519491231002X'), true);
    assert.equal(isValidResidentIdNumber('110105194912310021'), false);
    assert.equal(isValidResidentIdNumber('1101051949123100'), false);
  });
});
