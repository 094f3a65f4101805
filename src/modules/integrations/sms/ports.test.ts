import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { HttpRealName, RealNameSimulator, realNameFromEnv, UnconfiguredRealName } from '../realname/realname.js';
import { HttpSms, SmsSimulator, smsFromEnv, UnconfiguredSms } from './sms.js';

describe('SMS and real-name ports', () => {
  test('demo mode gets simulators, production never does', () => {
    assert.ok(smsFromEnv('demo', {}) instanceof SmsSimulator);
    assert.ok(smsFromEnv('production', {}) instanceof UnconfiguredSms);
    assert.ok(smsFromEnv('production', { BDCERT_SMS_URL: 'http://sms.example/send' }) instanceof HttpSms);
    assert.ok(realNameFromEnv('demo', {}) instanceof RealNameSimulator);
    assert.ok(realNameFromEnv('production', {}) instanceof UnconfiguredRealName);
  });

  test('the simulators label themselves and log only masked personal data', async () => {
    const lines: { obj: object; msg: string }[] = [];
    const log = { info: (obj: object, msg: string) => lines.push({ obj, msg }) };
    await new SmsSimulator(log).send('13812345678', '验证码 123456');
    assert.equal(
      await new RealNameSimulator(log).verify({ name: '张三', idNumber: '11010519491231002X' }).then((r) => r.ok),
      true,
    );
    const text = JSON.stringify(lines);
    assert.match(text, /短信模拟器 \/ SMS simulator/);
    assert.match(text, /实名核验模拟器 \/ real-name simulator/);
    assert.ok(!text.includes('13812345678') && !text.includes('11010519491231002X') && !text.includes('张三'));
    assert.match(text, /138\*\*\*\*5678/);
  });

  test('HTTP adapters speak JSON to the configured URL', async () => {
    const got: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        got.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ match: (JSON.parse(body) as { name?: string }).name === '张三' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await new HttpSms(`${base}/sms`, 'tok').send('13812345678', 'hi');
      const rn = new HttpRealName(`${base}/rn`);
      assert.deepEqual(await rn.verify({ name: '张三', idNumber: '11010519491231002X' }), { ok: true });
      assert.deepEqual(await rn.verify({ name: '李四', idNumber: '11010519491231002X' }), {
        ok: false,
        reason: 'MISMATCH',
      });
      assert.deepEqual(got[0], { url: '/sms', auth: 'Bearer tok', body: { phone: '13812345678', text: 'hi' } });
    } finally {
      server.close();
    }
    assert.deepEqual(await new HttpRealName(`${base}/rn`, undefined, 300).verify({ name: '张三', idNumber: 'x' }), {
      ok: false,
      reason: 'UNAVAILABLE',
    });
  });
});
