import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTLED_STATES } from '../../src/ledger/order-state.js';
import { SettledCounts, type StateCount } from '../../src/ledger/settled-counts.js';

/** A stand-in count the test releases by hand, with a clock the test moves. */
function rig(maxAgeMs = 1_000) {
  let clock = 1_000_000;
  let confirmed = 10;
  const pending: Array<{ resolve: (rows: StateCount[]) => void; reject: (err: Error) => void }> = [];
  const asked: Array<readonly string[] | undefined> = [];
  const ledger = {
    countByTenantPortalState(states?: readonly string[]): Promise<StateCount[]> {
      asked.push(states);
      const n = confirmed;
      return new Promise((resolve, reject) => pending.push({
        resolve: () => resolve([{ tenant: 't1', portal: 'benify', state: 'confirmed', count: n }]),
        reject,
      }));
    },
  };
  const counts = new SettledCounts(ledger, maxAgeMs, () => clock);
  return {
    counts, asked, pending,
    advance(ms: number) { clock += ms; },
    confirm(n: number) { confirmed += n; },
    async release() { pending.shift()!.resolve([]); await new Promise((r) => setImmediate(r)); },
    /** The first count made and read: the state every later read starts from. */
    async primed() { const first = counts.get(); await this.release(); await first; },
    async fail() { pending.shift()!.reject(new Error('database unreachable')); await new Promise((r) => setImmediate(r)); },
  };
}

const countOf = (c: { rows: StateCount[] }) => c.rows[0]?.count;

test('settled counts: the first read waits for a count of the settled states only', async () => {
  const r = rig();
  const first = r.counts.get();
  assert.equal(r.pending.length, 1);
  assert.deepEqual(r.asked, [SETTLED_STATES]);
  await r.release();
  const got = await first;
  assert.equal(countOf(got), 10);
  assert.equal(got.takenAt.getTime(), 1_000_000, 'the time the count was started');
});

test('settled counts: within the max age every reader gets the last count, and nothing is counted', async () => {
  const r = rig(1_000);
  await r.primed();
  r.confirm(5);
  r.advance(1_000);
  assert.equal(countOf(await r.counts.get()), 10);
  assert.equal(r.asked.length, 1);
});

test('settled counts: past the max age a reader gets the last count at once and one new count starts, shared by every reader', async () => {
  const r = rig(1_000);
  await r.primed();
  r.confirm(5);
  r.advance(1_001);
  const [a, b] = await Promise.all([r.counts.get(), r.counts.get()]);
  assert.equal(countOf(a), 10, 'not waiting for the new count');
  assert.equal(countOf(b), 10);
  assert.equal(r.asked.length, 2, 'one count for both readers');
  await r.release();
  const after = await r.counts.get();
  assert.equal(countOf(after), 15);
  assert.equal(after.takenAt.getTime(), 1_000_000 + 1_001);
  assert.equal(r.asked.length, 2, 'the new count is fresh: nothing more counted');
});

test('settled counts: a failed background count keeps the last one, and the next read tries again', async () => {
  const r = rig(1_000);
  await r.primed();
  r.advance(2_000);
  assert.equal(countOf(await r.counts.get()), 10);
  await r.fail();
  r.confirm(1);
  assert.equal(countOf(await r.counts.get()), 10, 'the last count still answers');
  assert.equal(r.asked.length, 3, 'the failed count is retried by the next read');
  await r.release();
  assert.equal(countOf(await r.counts.get()), 11);
});

test('settled counts: a first count that fails fails the read, and the next read counts again', async () => {
  const r = rig();
  const first = assert.rejects(r.counts.get(), /database unreachable/);
  await r.fail();
  await first;
  const second = r.counts.get();
  assert.equal(r.asked.length, 2);
  await r.release();
  assert.equal(countOf(await second), 10);
});
