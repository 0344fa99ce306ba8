import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { formatOreSwedish } from '../../../src/domain/money.js';
import { previousStockholmDay, stockholmDateOf } from '../../../src/domain/stockholm-date.js';
import { BREAKER_OFF, events, startPipeline, startStores, type Pipeline, type Stores } from '../../../support/pipeline.js';
import { exportToBuffer } from '../../helpers/finance.js';
import { sampleOrderInput } from '../../../support/orders.js';
import { adminTokenConfig, ALICE_TOKEN } from '../../helpers/admin.js';
import { startBrowser, type Browser } from '../../helpers/browser.js';

/**
 * The web console as an operator uses it, in headless Chromium: log in, find an order by its OCR,
 * resolve an in-doubt order, and after a BRP outage re-queue the dead orders in bulk (the dry-run
 * count first) and see them confirmed. A screenshot of every page is saved in
 * test-artifacts/console/. Every page's HTML is kept and checked for personal data at the end.
 */
let stores: Stores;
let p: Pipeline;
let b: Browser;
let consoleUrl: string;
const pages: Array<{ name: string; html: string }> = [];

async function visit(name: string): Promise<void> {
  await b.shot(name);
  pages.push({ name, html: await b.page.content() });
}

async function accept(ordernr: string): Promise<string> {
  const r = await p.services.intake.accept(sampleOrderInput(ordernr));
  assert.equal(r.status, 'accepted');
  return (r as { key: string }).key;
}

before(async () => {
  stores = await startStores();
  p = await startPipeline({ stores, tenant: BREAKER_OFF, faults: { scriptByOrdernr: { 'C-DOUBT': ['timeout-after-commit'] }, hangMs: 2_000 }, extra: { admin: adminTokenConfig() } });
  consoleUrl = `${p.daemon.adminUrl}/console`;
  b = await startBrowser();
});
after(async () => {
  await b?.close();
  await p?.close();
  await stores?.stop();
});

describe('the console in a browser', { concurrency: false }, () => {
  test('log in: the console asks for a token, refuses a wrong one, and opens on the overview', async () => {
    const { page } = b;
    await page.goto(consoleUrl);
    assert.match(page.url(), /\/console\/login$/);
    await visit('01-login');
    await page.fill('#token', 'not-a-token-0123456789abcdefgh');
    await page.click('button[type=submit]');
    assert.equal(await page.textContent('[role=alert]'), 'That token is not valid.');
    await page.fill('#token', ALICE_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/console$/);
    assert.equal(await page.textContent('h1'), 'Overview');
    assert.match((await page.textContent('header .who')) ?? '', /signed in as alice/);
    const cookie = (await b.context.cookies()).find((c) => c.name === 'partnerd_console');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');
    await visit('02-overview');
  });

  test('search an order by its OCR: the order page, personal data masked', async () => {
    const key = await accept('C-OCR');
    const rec = await p.waitForState(key, 'confirmed');
    await b.page.goto(`${consoleUrl}/search`);
    await b.page.fill('#q', rec.ocr!);
    await visit('03-search');
    await b.page.click('main button[type=submit]');
    await b.page.waitForURL(/\/console\/orders\//);
    assert.equal(await b.page.textContent('h1'), `Order ${key}`);
    assert.equal(await b.page.textContent('#order-state'), 'confirmed');
    assert.match((await b.page.textContent('main')) ?? '', new RegExp(`${rec.ocr}`));
    await visit('04-order-confirmed');
  });

  test('resolve an in-doubt order with the numbers found in BRP', async () => {
    const key = await accept('C-DOUBT');
    await p.waitForState(key, 'in_doubt', 15_000);
    const [brp] = p.sim.orders({ ordernr: 'C-DOUBT' });
    assert.ok(brp, 'BRP did create it');
    await b.page.goto(`${consoleUrl}/orders/${encodeURIComponent(key)}`);
    assert.equal(await b.page.textContent('#order-state'), 'in_doubt');
    await visit('05-order-in-doubt');
    await b.page.fill('input[name=brpOrderNumber]', String(brp.brpOrderNumber));
    await b.page.fill('input[name=invoiceNumber]', String(brp.invoiceNumber));
    await b.page.fill('input[name=ocr]', String(brp.ocr));
    await b.page.fill('form[action$="/resolve"] input[name=reason]', 'found in BRP by phone');
    await b.page.click('form[action$="/resolve"] button[type=submit]');
    await b.page.waitForSelector('.flash');
    assert.match((await b.page.textContent('.flash')) ?? '', /Recorded as confirmed with BRP order/);
    assert.equal(await b.page.textContent('#order-state'), 'confirmed');
    assert.match((await b.page.textContent('main')) ?? '', /resolve\s*alice\s*in_doubt → confirmed\s*found in BRP by phone/);
    await visit('06-order-resolved');
    const rec = await p.services.ledger.get(key);
    assert.equal(rec?.brpOrderNumber, String(brp.brpOrderNumber));
  });

  test('after a BRP outage: the dead orders re-queued in bulk, the dry-run count first, then confirmed', async () => {
    p.sim.setFaults({ rate5xx: 1 });
    const keys = [];
    for (let i = 1; i <= 4; i++) keys.push(await accept(`C-DEAD-${i}`));
    for (const k of keys) await p.waitForState(k, 'dead', 20_000);
    p.sim.setFaults({});
    await b.page.goto(`${consoleUrl}/attention?state=dead`);
    assert.equal(await b.page.locator('tbody tr').count(), 4);
    await visit('07-needs-attention-dead');
    await b.page.fill('form[action$="/attention/preview"] input[name=reason]', 'BRP back after the outage');
    await b.page.click('form[action$="/attention/preview"] button[type=submit]');
    await b.page.waitForSelector('#dry-run-count');
    assert.match((await b.page.textContent('#dry-run-count')) ?? '', /^4 order\(s\) would be re-queued\. Nothing has changed yet\.$/);
    for (const k of keys) assert.equal((await p.services.ledger.get(k))?.state, 'dead', 'the dry run changed nothing');
    await visit('08-bulk-dry-run');
    await b.page.click('form[action$="/attention/requeue"] button[type=submit]');
    await b.page.waitForSelector('.flash');
    assert.match((await b.page.textContent('.flash')) ?? '', /^Re-queued 4 order\(s\) in /);
    for (const k of keys) await p.waitForState(k, 'confirmed', 15_000);
    await b.page.goto(`${consoleUrl}/attention?state=dead`);
    assert.equal(await b.page.locator('tbody tr').count(), 0);
    await b.page.goto(`${consoleUrl}/orders/${encodeURIComponent(keys[0]!)}`);
    assert.equal(await b.page.textContent('#order-state'), 'confirmed');
    assert.match((await b.page.textContent('main')) ?? '', /requeue\s*alice\s*dead → queued\s*BRP back after the outage/);
    await visit('09-order-requeued-confirmed');
    await b.page.goto(consoleUrl);
    await visit('10-overview-after');
  });

  test('the needs-attention list and an order with its stored order (masked), and Bull Board behind the same login', async () => {
    p.sim.setFaults({ rate5xx: 1 });
    const key = await accept('C-MASK');
    await p.waitForState(key, 'dead', 20_000);
    p.sim.setFaults({});
    await b.page.goto(`${consoleUrl}/attention`);
    await visit('11-needs-attention');
    await b.page.goto(`${consoleUrl}/orders/${encodeURIComponent(key)}`);
    const text = (await b.page.textContent('main')) ?? '';
    assert.match(text, /T… T…, 11xxxx\+xx16, t\*\*\*@test\.com, /);
    assert.match(text, /mobile 07xxxxxx67/);
    assert.match(text, /work 08xxx45/);
    await visit('12-order-dead-masked');
    await b.page.goto(`${consoleUrl}/queues`);
    await b.page.waitForSelector('text=brp-t1', { timeout: 15_000 });
    await b.page.waitForLoadState('networkidle');
    await visit('13-bull-board');
  });

  test('invoices: the report per portal and tenant for a range, and the export downloaded from the page', async () => {
    const today = stockholmDateOf(new Date());
    const yesterday = previousStockholmDay();
    await b.page.goto(consoleUrl);
    await b.page.click('header a[href="/console/invoices"]');
    await b.page.waitForURL(/\/console\/invoices$/);
    // By default: this month up to yesterday.
    assert.equal(await b.page.inputValue('input[name=from]'), `${yesterday.slice(0, 8)}01`);
    assert.equal(await b.page.inputValue('input[name=to]'), yesterday);
    await b.page.fill('input[name=from]', today);
    await b.page.fill('input[name=to]', today);
    await b.page.click('form[action="/console/invoices"] button[type=submit]');
    await b.page.waitForSelector('#invoice-days');
    const expected = await exportToBuffer(p.services.database, { from: today, to: today });
    assert.ok(expected.summary.rows >= 5, `${expected.summary.rows} orders confirmed today`);
    assert.equal(await b.page.textContent('#total-confirmed'), String(expected.summary.rows));
    assert.equal(await b.page.textContent('#total-amount'), `${formatOreSwedish(expected.summary.totalIncVatOre)} kr`);
    await visit('14-invoices');
    for (const [link, options, name] of [
      ['#download-csv', { excel: false }, `invoices_${today}_${today}.csv`],
      ['#download-excel', { excel: true }, `invoices_${today}_${today}_excel.csv`],
    ] as const) {
      const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.click(link)]);
      assert.equal(download.suggestedFilename(), name);
      const bytes = await readFile((await download.path())!);
      const direct = await exportToBuffer(p.services.database, { from: today, to: today, ...options });
      assert.deepEqual(bytes, direct.bytes, `${name}: the same file as \`partnerd export invoices\``);
    }
    const logged = events(p.lines, 'admin.export_invoices').filter((l) => l.outcome === 'complete');
    assert.deepEqual(logged.map((l) => [l.actor, l.via]), [['alice', 'console'], ['alice', 'console']]);
  });

  test('no page shows a full personnummer, e-mail or phone', () => {
    assert.ok(pages.length >= 14, `${pages.length} pages`);
    const forbidden = ['19111111-1116', '191111111116', '111111+1116', '111111-1116', 'tessan@test.com', '0731234567', '+46731234567', '08-123 45', '0812345', 'Tessan', 'Testsson', 'Testgatan'];
    for (const { name, html } of pages) {
      for (const f of forbidden) assert.ok(!html.includes(f), `${name} shows ${f}`);
    }
  });
});
