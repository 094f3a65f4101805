import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import {
  browserSkipReason,
  call,
  ensureWebBuilt,
  launch,
  type Server,
  shot,
  staffToken,
  startServer,
} from './harness.js';

const skip = browserSkipReason();
const HOLDER = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' };
const UNITS = ['411526001002GB00123F00010203', '411526001002GB00123F00010204'];

function face(unitNo: string) {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
  return { ...rest, holders: [HOLDER], coOwnership: '单独所有', registeredOn: '20261120', unitNo };
}

describe('web UI in Chromium: clerk, holder, bank, public verification', { skip }, () => {
  let s: Server;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const certIds: string[] = [];
  before(async () => {
    ensureWebBuilt();
    s = await startServer();
    browser = await launch();
    // Two 首次登记 entries recorded through the register API (as the registration system would push them).
    const registrar = await staffToken(s, '411526-registrar');
    for (const [i, unitNo] of UNITS.entries()) {
      const r = await call<{ outcome: { certificateId: string } }>(s.url, '/api/v1/register/entries', {
        token: registrar,
        body: {
          businessNo: `20261120000${i + 1}`,
          registrationType: '100',
          recordedAt: new Date().toISOString(),
          unitNo,
          location: `${P.location}${i}`,
          face: face(unitNo),
        },
      });
      certIds.push(r.outcome.certificateId);
    }
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  const pages: Page[] = [];
  const errors: string[] = [];
  const newPage = async (w = 1280, h = 800): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: w, height: h });
    page.on('pageerror', (e) => errors.push(String(e)));
    pages.push(page);
    return page;
  };
  // A failing step leaves its page on screen: keep a picture of it, and no page may have thrown a script error.
  afterEach(async (t) => {
    for (const [i, p] of pages.splice(0).entries()) {
      if (!p.isClosed()) {
        await shot(p, `FAILED-${t.name.slice(0, 24)}-${i}`).catch(() => undefined);
        await p.close();
      }
    }
    assert.deepEqual(errors.splice(0), [], 'no script errors in the page');
  });

  test('clerk signs in, sees the dashboard and seals the pending batch; the certificate becomes downloadable', async () => {
    const page = await newPage();
    await page.goto(`${s.url}/login`);
    await page.getByLabel('用户名').fill('411526-sealer');
    await page.getByLabel('密码').fill(s.passwords.get('411526-sealer')!);
    // Keyboard use: Enter in the password field submits the form.
    await page.getByLabel('密码').press('Enter');
    await page.waitForURL(/\/console/);
    await page.getByText('待签章').first().waitFor();
    await page.locator('canvas').first().waitFor();
    await shot(page, 'console-dashboard', { docs: true });
    // The English switch relabels the console; Chinese comes back with the same button.
    await page.getByTestId('lang-switch').click();
    await page.getByRole('menuitem', { name: 'Pending seal' }).waitFor();
    await shot(page, 'console-dashboard-en', { docs: true });
    await page.getByTestId('lang-switch').click();
    await page.getByRole('menuitem', { name: '待签章' }).waitFor();

    await page.goto(`${s.url}/console/seal-queue`);
    await page.getByText(P.location.slice(0, 6)).first().waitFor();
    await shot(page, 'console-seal-queue', { docs: true });
    await page.locator('thead input[type=checkbox]').check();
    await page.getByTestId('seal-selected').click();
    await page.getByRole('dialog').getByLabel('密码').fill(s.passwords.get('411526-sealer')!);
    await page.getByTestId('confirm-seal').click();
    await page.getByTestId('batch-progress').getByText('已完成').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('batch-progress').innerText(), /2\/2/);
    await shot(page, 'console-seal-done');

    await page.goto(`${s.url}/console/certificates/${certIds[0]}`);
    await page.getByTestId('download-ofd').waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-ofd').click()]);
    const f = join(mkdtempSync(join(tmpdir(), 'bdcert-dl-')), 'c.ofd');
    await dl.saveAs(f);
    assert.equal(readFileSync(f).subarray(0, 2).toString('latin1'), 'PK', 'the OFD is a zip package');
    await shot(page, 'console-certificate', { docs: true, fullPage: true });
    for (const p of ['users', 'audit', 'seals', 'objections']) {
      await page.goto(`${s.url}/console/${p}`);
      await page.locator('.ant-card').first().waitFor();
      await page.waitForLoadState('networkidle');
      await shot(page, `console-${p}`, { docs: true });
    }
    await page.close();
  });

  test('holder signs in with ID + SMS (simulator code shown), downloads the OFD and 领用时间 appears', async () => {
    const page = await newPage();
    await page.goto(`${s.url}/holder`);
    await page.getByLabel('姓名').fill(HOLDER.name);
    await page.getByLabel('身份证号码').fill(HOLDER.idNumber);
    await page.getByLabel('手机号码').fill('13812345678');
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByTestId('sms-simulator').getByText('模拟器 / Simulator').waitFor();
    const code = (await page.getByTestId('demo-code').innerText()).trim();
    assert.match(code, /^\d{6}$/);
    await page.getByLabel('短信验证码').fill(code);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    const card = page.getByTestId('holder-cert').filter({ hasText: '第0000001号' });
    await card.waitFor();
    assert.match(await card.getByTestId('collected-at').innerText(), /未领用/);
    const [dl] = await Promise.all([page.waitForEvent('download'), card.getByTestId('holder-download-ofd').click()]);
    assert.match(dl.suggestedFilename(), /\.ofd$/);
    await page.reload();
    await card.waitFor();
    // Huangchuan 2.2: the first download is the collection time.
    await card
      .getByTestId('collected-at')
      .getByText(/领用时间：\d{4}/)
      .waitFor();
    await shot(page, 'holder-certificates', { docs: true });
    // Who accessed my certificate: the holder's own download is in the trail.
    await card.getByRole('button', { name: '谁查看过' }).click();
    await page.getByTestId('holder-accesses').locator('.ant-list-item').first().waitFor();
    assert.match(await page.getByTestId('holder-accesses').innerText(), /download/);
    await shot(page, 'holder-accesses');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 390, height: 844 });
    await card.waitFor();
    await shot(page, 'holder-certificates-phone', { docs: true, fullPage: true });
    await page.close();
  });

  test('bank signs in with its client credentials, queries with a purpose and gets the annotated copy', async () => {
    const page = await newPage();
    await page.goto(`${s.url}/institution`);
    await page.getByLabel('客户端编号').fill(s.client.id);
    await page.getByLabel('客户端密钥').fill(s.client.secret);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByLabel('用证事由').fill('个人住房抵押贷款审批');
    await page.getByLabel('业务编号').fill('DK-2026-00871');
    await page.getByLabel(/持证主体代码/).fill(HOLDER.idNumber);
    await page.getByRole('button', { name: /查\s*询/ }).click();
    await page.getByTestId('share-result').first().waitFor();
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('share-result').first().getByTestId('annotated-ofd').click(),
    ]);
    assert.match(dl.suggestedFilename(), /加注件\.ofd$/);
    await page.getByTestId('annotated-done').waitFor();
    await shot(page, 'institution-query', { docs: true });
    await page.close();
  });

  test('the verification page from the QR link shows 已注销 for a cancelled certificate, on a phone too', async () => {
    // The 查询二维码 is read from the issued PDF the way a phone camera would (zbarimg on the rendered page).
    const dir = mkdtempSync(join(tmpdir(), 'bdcert-qr-'));
    const sealer = await staffToken(s, '411526-sealer');
    const pdf = await fetch(`${s.url}/api/v1/certificates/${certIds[1]}/files/pdf`, {
      headers: { authorization: `Bearer ${sealer}` },
    });
    assert.equal(pdf.status, 200);
    writeFileSync(join(dir, 'c.pdf'), Buffer.from(await pdf.arrayBuffer()));
    execFileSync('pdftoppm', ['-r', '200', '-f', '1', '-l', '1', '-png', join(dir, 'c.pdf'), join(dir, 'p')]);
    const png = execFileSync('ls', [dir], { encoding: 'utf8' })
      .split('\n')
      .find((n) => n.endsWith('.png'))!;
    const codes = execFileSync('zbarimg', ['-q', '--raw', join(dir, png)], { encoding: 'utf8' }).split('\n');
    const qr = codes.find((c) => /\/v\/[A-Za-z0-9_-]+$/.test(c));
    assert.ok(qr, `query QR found among ${codes.join(' | ')}`);
    const token = qr.split('/v/')[1]!;

    const registrar = await staffToken(s, '411526-registrar');
    await call(s.url, `/api/v1/certificates/${certIds[1]}/status`, {
      token: registrar,
      body: { action: 'cancel', reason: '浏览器测试：注销登记' },
    });
    const page = await newPage(390, 844);
    await page.goto(`${s.url}/v/${token}`);
    await page.getByTestId('verify-status').waitFor();
    assert.equal((await page.getByTestId('verify-status').innerText()).trim(), '已注销');
    await shot(page, 'verify-phone', { docs: true, fullPage: true });

    // Upload path: the issued OFD of the other certificate passes the stepwise file check.
    const ofd = await fetch(`${s.url}/api/v1/certificates/${certIds[0]}/files/ofd`, {
      headers: { authorization: `Bearer ${sealer}` },
    });
    assert.equal(ofd.status, 200);
    writeFileSync(join(dir, 'c.ofd'), Buffer.from(await ofd.arrayBuffer()));
    await page.goto(`${s.url}/verify`);
    await page.locator('input[type=file]').setInputFiles(join(dir, 'c.ofd'));
    await page.getByTestId('verify-status').waitFor();
    assert.match(await page.getByTestId('verify-status').innerText(), /^(文件)?有效/);
    await shot(page, 'verify-upload-phone', { docs: true, fullPage: true });
    await page.close();
  });
});
