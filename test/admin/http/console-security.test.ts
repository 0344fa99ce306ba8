import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startPipeline, type Pipeline } from '../../../support/pipeline.js';
import { sampleOrderInput } from '../../../support/orders.js';
import { adminTokenConfig, ALICE_TOKEN } from '../../helpers/admin.js';

/**
 * The console's defences over plain HTTP: pages need a session, the session cookie's flags, a
 * form without its CSRF token is refused 403 (the action is not done).
 */
let p: Pipeline;
let base: string;

before(async () => {
  p = await startPipeline({
    faults: { scriptByOrdernr: { 'S-DEAD': ['503', '503', '503'] } },
    extra: { admin: adminTokenConfig({ console: { secureCookie: true, sessionMinutes: 30 } }) },
  });
  base = `${p.daemon.adminUrl}/console`;
});
after(async () => { await p.close(); });

/** A tiny cookie jar: the console's one cookie. */
class Client {
  cookie = '';
  async go(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const res = await request(`${base}${path}`, {
      method,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = res.headers['set-cookie'];
    const first = Array.isArray(set) ? set[0] : set;
    if (first) this.cookie = first.split(';')[0]!;
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }
  csrf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    assert.ok(m, 'the page has a CSRF token');
    return m[1]!;
  }
  async login(token = ALICE_TOKEN) {
    const page = await this.go('GET', '/login');
    return this.go('POST', '/login', { _csrf: this.csrf(page.text), token });
  }
}

test('without a session every page redirects to the login, every form is refused, and Bull Board too', async () => {
  const c = new Client();
  for (const path of ['', '/attention', '/search?q=1', '/orders/t1%3Abenify%3AX', '/queues']) {
    const r = await c.go('GET', path);
    assert.equal(r.status, 303, path);
    assert.equal(r.headers.location, '/console/login');
  }
  assert.equal((await c.go('POST', '/orders/t1%3Abenify%3AX/requeue', { reason: 'x' })).status, 401);
  assert.equal((await c.go('GET', '/queues/api/queues')).status, 401);
});

test('login: the cookie is HttpOnly, SameSite=Strict, Secure (configured), path /console; a login form without CSRF is 403', async () => {
  const c = new Client();
  await c.go('GET', '/login');
  const noCsrf = await c.go('POST', '/login', { token: ALICE_TOKEN });
  assert.equal(noCsrf.status, 403);
  const page = await c.go('GET', '/login');
  const res = await request(`${base}/login`, {
    method: 'POST', headers: { cookie: c.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: c.csrf(page.text), token: ALICE_TOKEN }).toString(),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 303);
  const cookie = String(res.headers['set-cookie']);
  assert.match(cookie, /^partnerd_console=/);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  assert.match(cookie, /Secure/i);
  assert.match(cookie, /Path=\/console/i);
  assert.doesNotMatch(cookie, new RegExp(ALICE_TOKEN), 'the token itself is never in the cookie');
});

test('a form without its CSRF token (or with a wrong one) is refused 403 and nothing is done; with it, it is done', async () => {
  const r = await p.services.intake.accept(sampleOrderInput('S-DEAD'));
  const key = (r as { key: string }).key;
  await p.waitForState(key, 'dead', 15_000);
  const c = new Client();
  assert.equal((await c.login()).status, 303);
  const path = `/orders/${encodeURIComponent(key)}/requeue`;
  const none = await c.go('POST', path, { reason: 'no csrf' });
  assert.equal(none.status, 403);
  assert.doesNotMatch(none.text, /S-DEAD.*queued/);
  const wrong = await c.go('POST', path, { reason: 'forged', _csrf: 'forged-token' });
  assert.equal(wrong.status, 403);
  assert.equal((await p.services.ledger.get(key))?.state, 'dead', 'nothing was done');
  const page = await c.go('GET', `/orders/${encodeURIComponent(key)}`);
  assert.equal(page.status, 200);
  const ok = await c.go('POST', path, { reason: 'with csrf', _csrf: c.csrf(page.text) });
  assert.equal(ok.status, 303);
  await p.waitForState(key, ['queued', 'submitting', 'retrying', 'confirmed', 'dead']);
  const action = (await p.services.ledger.history(key)).filter((e) => e.kind === 'action').pop();
  assert.ok(action && action.kind === 'action' && action.actor === 'alice' && action.reason === 'with csrf');
  const line = p.lines.find((l) => l.event === 'admin.requeue' && l.ordernr === 'S-DEAD');
  assert.equal(line?.via, 'console');
});
