import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminService } from '../../src/admin/admin-service.js';
import { operator } from '../../src/admin/operator.js';
import type { HistoryEntry } from '../../src/ledger/ledger.js';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { BREAKER_OFF, startPipeline, type Pipeline } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';

/**
 * The audit trail of every operator verb, through the service all three doors share: the actor,
 * the reason, and the state before and after, in the ledger (shown by `show` and the console) and
 * as one `admin.*` line in the log stream.
 */
let p: Pipeline;
let admin: AdminService;
const OP = operator('auditor', 'cli');

before(async () => {
  p = await startPipeline({
    tenant: BREAKER_OFF,
    faults: { scriptByOrdernr: { 'AU-DEAD': ['503', '503', '503'], 'AU-DEAD2': ['503', '503', '503'], 'AU-DOUBT': ['timeout-after-commit'], 'AU-REVIEW': ['malformed-2xx'] }, hangMs: 2_000 },
    extra: { portals: { benify: { secret: 'audit-test-benify-secret', venues: { odenplan: { tenant: 't1', businessUnit: 1 } }, articles: { 'GYM-12M': '1001' } } } },
  });
  admin = new AdminService(p.services);
});
after(async () => { await p.close(); });

async function accept(ordernr: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await p.services.intake.accept(sampleOrderInput(ordernr, overrides));
  assert.equal(r.status, 'accepted');
  return (r as { key: string }).key;
}

async function lastAction(key: string): Promise<Extract<HistoryEntry, { kind: 'action' }>> {
  const actions = (await p.services.ledger.history(key)).filter((e): e is Extract<HistoryEntry, { kind: 'action' }> => e.kind === 'action');
  assert.ok(actions.length > 0, `${key} has actions`);
  return actions[actions.length - 1]!;
}

function logged(event: string, ordernr?: string): Record<string, unknown> {
  const line = p.lines.filter((l) => l.event === event && (ordernr === undefined || l.ordernr === ordernr)).pop();
  assert.ok(line, `${event} logged`);
  return line;
}

test('requeue (one, then bulk): actor, reason, dead → queued; admin.requeue / admin.bulk_requeue', async () => {
  const one = await accept('AU-DEAD');
  const two = await accept('AU-DEAD2');
  await p.waitForState(one, 'dead', 15_000);
  await p.waitForState(two, 'dead', 15_000);
  await admin.requeue(one, OP, { reason: 'one by one' });
  const a = await lastAction(one);
  assert.deepEqual([a.actor, a.action, a.fromState, a.toState, a.reason], ['auditor', 'requeue', 'dead', 'queued', 'one by one']);
  assert.deepEqual([logged('admin.requeue', 'AU-DEAD').actor, logged('admin.requeue', 'AU-DEAD').via, logged('admin.requeue', 'AU-DEAD').reason], ['auditor', 'cli', 'one by one']);
  const bulk = await admin.requeueMany({ state: 'dead', tenant: 't1' }, OP, { reason: 'all of them' });
  assert.equal(bulk.dryRun, false);
  const b = await lastAction(two);
  assert.deepEqual([b.actor, b.action, b.fromState, b.toState, b.reason], ['auditor', 'requeue', 'dead', 'queued', 'all of them']);
  const line = logged('admin.bulk_requeue');
  assert.deepEqual([line.actor, line.dryRun, line.count, line.reason], ['auditor', false, 1, 'all of them']);
});

test('resolve (in doubt, and a confirmed order under review): actor, reason, before → confirmed; admin.resolve', async () => {
  const doubt = await accept('AU-DOUBT');
  await p.waitForState(doubt, 'in_doubt', 15_000);
  await admin.resolve(doubt, OP, { brpOrderNumber: '4711', invoiceNumber: '4712', ocr: '47130', reason: 'seen in BRP' });
  const a = await lastAction(doubt);
  assert.deepEqual([a.actor, a.action, a.fromState, a.toState, a.reason], ['auditor', 'resolve', 'in_doubt', 'confirmed', 'seen in BRP']);
  assert.equal(logged('admin.resolve', 'AU-DOUBT').brpOrderNumber, '4711');
  const review = await accept('AU-REVIEW');
  await p.waitForState(review, 'confirmed');
  await admin.resolve(review, OP, { brpOrderNumber: '4811', reason: 'read in BRP' });
  const r = await lastAction(review);
  assert.deepEqual([r.actor, r.action, r.fromState, r.toState, r.reason], ['auditor', 'resolve', 'confirmed', 'confirmed', 'read in BRP']);
  await assert.rejects(admin.resolve(review, OP, { brpOrderNumber: '4811' }), /resolve needs a reason/);
});

test('amend (rejected; unroutable → continues under its tenant): actor, reason, before → after, changed fields only', async () => {
  const rejected = await accept('AU-REJ', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 5000 }] });
  await p.waitForState(rejected, 'rejected');
  await admin.amend(rejected, OP, { patch: { items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVatOre: 5000 }] }, reason: 'article fixed' });
  const a = await lastAction(rejected);
  assert.deepEqual([a.actor, a.action, a.fromState, a.toState, a.reason], ['auditor', 'amend', 'rejected', 'queued', 'article fixed']);
  assert.equal(a.detail, 'amended via cli; changed: items[0].productNumber');
  assert.deepEqual(logged('admin.amend', 'AU-REJ').changed, ['items[0].productNumber']);
  await p.waitForState(rejected, 'confirmed');

  const portalOrder = { portal: 'benify', ordernr: 'AU-LOST', venueRef: 'nowhere', lines: [{ articleCode: 'GYM-12M', quantity: 1 }], fieldPaths: {} } as unknown as PortalOrder;
  await p.services.ledger.registerUnroutable('benify', 'AU-LOST', portalOrder, 'unknown venue at supplier.venueId (not in portals.benify.venues)');
  const key = '~:benify:AU-LOST';
  const r = await admin.amend(key, OP, { order: sampleOrderInput('AU-LOST'), reason: 'venue is odenplan' });
  assert.equal(r.continuesAs, 't1:benify:AU-LOST');
  const u = await lastAction(key);
  assert.deepEqual([u.actor, u.action, u.fromState, u.toState, u.reason], ['auditor', 'amend', 'unroutable', 'rerouted', 'venue is odenplan']);
  const next = await lastAction('t1:benify:AU-LOST');
  assert.deepEqual([next.actor, next.action, next.reason], ['auditor', 'amend', 'venue is odenplan']);
  await p.waitForState('t1:benify:AU-LOST', 'confirmed');
  assert.equal(await p.services.ledger.keyForPortalOrder('benify', 'AU-LOST'), 't1:benify:AU-LOST', 'the portal order id moved with it: a redelivery is a duplicate');
});

test('reroute: actor, reason, unroutable → rerouted; admin.reroute', async () => {
  const portalOrder = { portal: 'benify', ordernr: 'AU-RR', venueRef: 'odenplan', lines: [{ articleCode: 'NOT-MAPPED', quantity: 1 }], fieldPaths: {} } as unknown as PortalOrder;
  await p.services.ledger.registerUnroutable('benify', 'AU-RR', portalOrder, 'unknown article at lines[0].articleId');
  const r = await admin.reroute('~:benify:AU-RR', OP, { reason: 'try again' });
  assert.equal(r.status, 'unroutable');
  const a = await lastAction('~:benify:AU-RR');
  assert.deepEqual([a.actor, a.action, a.fromState, a.toState, a.reason], ['auditor', 'reroute', 'unroutable', 'unroutable', 'try again']);
  assert.equal(logged('admin.reroute', 'AU-RR').outcome, 'unroutable');
});

test('resume a tenant and a portal: actor, reason, before → after in operator_actions; admin.resume_*', async () => {
  await p.services.pause.pause('t1', { kind: 'auth', httpStatus: 401, reason: 'test' });
  assert.equal(await admin.resumeTenant('t1', OP, { reason: 'key fixed' }), true);
  await admin.resumePortal('wellnet', OP, { reason: 'token fixed' });
  const actions = await p.services.ledger.recentActions(5);
  const tenant = actions.find((x) => x.action === 'resume_tenant')!;
  const portal = actions.find((x) => x.action === 'resume_portal')!;
  assert.deepEqual([tenant.actor, tenant.subject, tenant.fromState, tenant.toState, tenant.reason], ['auditor', 'tenant:t1', 'paused', 'running', 'key fixed']);
  assert.deepEqual([portal.actor, portal.subject, portal.fromState, portal.toState, portal.reason], ['auditor', 'portal:wellnet', 'running', 'running', 'token fixed']);
  assert.equal(logged('admin.resume_tenant').wasPaused, true);
  assert.equal(logged('admin.resume_portal').portal, 'wellnet');
});

test('a reason with personal data in it is stored as typed, but masked in the log stream', async () => {
  const key = await accept('AU-PII', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 5000 }] });
  await p.waitForState(key, 'rejected');
  await admin.requeue(key, OP, { reason: 'customer 19111111-1116 (tessan@test.com, 0731234567) called' });
  assert.equal((await lastAction(key)).reason, 'customer 19111111-1116 (tessan@test.com, 0731234567) called');
  assert.equal(logged('admin.requeue', 'AU-PII').reason, 'customer 19xxxxxx-xx16 (t***@test.com, 07xxxxxx67) called');
});
