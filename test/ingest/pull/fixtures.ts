import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Services } from '../../../src/daemon/services.js';
import type { OrderState } from '../../../src/ledger/order-state.js';
import type { FaultConfig } from '../../../src/simulator/index.js';
import { createPullIngest, type PullIngest, type PullIngestOptions } from '../../../src/ingest/pull/pull-ingest.js';
import {
  startEpassiSimulator,
  startWellnetSimulator,
  type EpassiSimPurchase,
  type EpassiSimulator,
  type WellnetSimOrder,
  type WellnetSimulator,
} from '../../../src/simulator/portals/index.js';
import { resetStores, startPipeline, type Pipeline, type Stores } from '../../../support/pipeline.js';
import { TEST_LOG_FILE } from '../../../support/test-logs.js';
import { setTimeout as sleep } from 'node:timers/promises';
export { sleep };

export const WELLNET_TOKEN = 'wn-token-5d1e0c7b9a';
export const EPASSI_CLIENT_ID = 'partnerd-client';
export const EPASSI_SECRET = 'ep-secret-8c2f4a6d1b';
/** Secrets that must never appear in any log line. */
export const SECRETS = [WELLNET_TOKEN, EPASSI_SECRET];

/** The contract's Wellnet example (wellnet.md), with its id and sequence changeable. */
export function wellnetOrder(id: string, sequence: number, over: Record<string, unknown> = {}): WellnetSimOrder {
  return {
    id,
    sequence,
    createdAt: '2026-11-20T09:31:00Z',
    company: { orgNo: '5561234567', name: 'Test Org AB' },
    person: {
      givenName: 'Tessan',
      familyName: 'Testsson',
      ssn: '191111111116',
      email: 'tessan@test.com',
      phone: { mobile: '+46731234567', home: null, work: null },
      street: 'Testgatan 4', zip: '12345', city: 'Teststad', country: 'SE',
    },
    facilityCode: 'odenplan',
    rows: [{ productCode: 'GYM-12M', validFrom: '2026-12-01', priceOre: 250000, renew: false }],
    note: null,
    ...over,
  };
}

/** The contract's Epassi example (epassi.md). */
export function epassiPurchase(purchaseId: string, over: Record<string, unknown> = {}): EpassiSimPurchase {
  return {
    purchaseId,
    paidAt: '2026-11-19T23:30:00Z',
    status: 'PAID',
    employer: { businessId: '5561234567', name: 'Test Org AB' },
    beneficiary: {
      firstName: 'Tessan',
      lastName: 'Testsson',
      nationalId: '19111111-1116',
      email: 'tessan@test.com',
      phoneNumber: '+46731234567',
      address: { streetAddress: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
    },
    merchant: { siteId: 'odenplan' },
    products: [{ sku: 'GYM-12M', startDate: null, unitPrice: '2500.00', quantity: 1 }],
    ...over,
  };
}

const ROUTING = {
  venues: { odenplan: { tenant: 't1', businessUnit: 1 } },
  articles: { 'GYM-12M': '1001', 'GYM-99': '9999' },
};

export function portalsConfig(wellnetUrl: string, epassiUrl: string, over: { wellnet?: Record<string, unknown>; epassi?: Record<string, unknown> } = {}) {
  return {
    wellnet: { ...ROUTING, baseUrl: wellnetUrl, token: WELLNET_TOKEN, schedule: '0 0 1 1 *', pageSize: 100, timeoutMs: 1_500, ...over.wellnet },
    epassi: {
      ...ROUTING, baseUrl: epassiUrl, clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, scope: 'purchases',
      schedule: '0 0 1 1 *', pageSize: 50, timeoutMs: 1_500, ...over.epassi,
    },
  };
}

export interface Harness {
  p: Pipeline;
  wellnet: WellnetSimulator;
  epassi: EpassiSimulator;
  pull: PullIngest;
  close(): Promise<void>;
}

export const FAST_NOTIFY = { batchSize: 20, leaseMs: 5_000, retry: { baseDelayMs: 40, maxDelayMs: 200, jitter: 0 } };

/** Portal simulators + the real daemon on the BRP simulator + PullIngest (not started: tests drive it). */
export async function startHarness(
  stores: Stores,
  options: {
    wellnet?: { orders?: WellnetSimOrder[]; pageSizeMax?: number };
    epassi?: { purchases?: EpassiSimPurchase[]; tokenTtlSeconds?: number; pageSizeMax?: number };
    portals?: { wellnet?: Record<string, unknown>; epassi?: Record<string, unknown> };
    brpFaults?: FaultConfig;
    pull?: PullIngestOptions;
  } = {},
): Promise<Harness> {
  const wellnet = await startWellnetSimulator({ token: WELLNET_TOKEN, ...options.wellnet });
  const epassi = await startEpassiSimulator({ clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, tokenTtlSeconds: 3600, ...options.epassi });
  const p = await startPipeline({
    stores,
    ...(options.brpFaults ? { faults: options.brpFaults } : {}),
    extra: { portals: portalsConfig(wellnet.baseUrl, epassi.baseUrl, options.portals) },
  });
  const pull = createPullIngest(p.services, { notifier: FAST_NOTIFY, ...options.pull });
  return {
    p, wellnet, epassi, pull,
    async close() {
      await pull.stop();
      await p.close();
      await wellnet.close();
      await epassi.close();
    },
  };
}

/** Empties Redis and the ledger between tests. */
export async function flush(stores: Stores): Promise<void> {
  await resetStores(stores);
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Runs the notifier until nothing is due any more (failed sends back off briefly in tests). */
export async function drainNotifications(services: Services, pull: PullIngest, timeoutMs = 10_000): Promise<void> {
  await eventually('the notification queue to drain', async () => {
    await pull.notifier.runOnce();
    return (await services.ledger.pendingNotifications()) === 0;
  }, timeoutMs);
}

export async function waitAll(p: Pipeline, keys: string[], state: OrderState | OrderState[]): Promise<void> {
  for (const k of keys) await p.waitForState(k, state);
}

/** No token or client secret in this test's log lines, nor anywhere in the run's log file. */
export function assertNoSecrets(lines: Array<Record<string, unknown>>): void {
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  let file = '';
  try {
    file = readFileSync(TEST_LOG_FILE, 'utf8');
  } catch {
    // no file yet
  }
  for (const s of SECRETS) {
    assert.equal(text.includes(s), false, `a log line contains the secret ${s.slice(0, 4)}…`);
    assert.equal(file.includes(s), false, `the run's log file contains the secret ${s.slice(0, 4)}…`);
  }
  for (const personal of ['Tessan', 'Testsson', '191111111116', '19111111-1116', 'tessan@test.com', '+46731234567', 'Testgatan']) {
    assert.equal(text.includes(personal), false, `a log line contains personal data (${personal.slice(0, 3)}…)`);
  }
}

export function logEvents(lines: Array<Record<string, unknown>>, event: string): Array<Record<string, unknown>> {
  return lines.filter((l) => l.event === event);
}
