import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PartnerdError } from '../../src/errors.js';
import { GroupCommit } from '../../src/ledger/group-commit.js';

/**
 * The batching rules of ledger/group-commit.ts, with a statement stand-in that records what it
 * was given (the real statements against PostgreSQL: test/ledger/ledger-group-commit.test.ts).
 */

interface Req { key: string; value: number }

function recorder(options: { fail?: (batch: Req[]) => Error | undefined; hold?: () => Promise<void> } = {}) {
  const batches: Req[][] = [];
  const many = async (requests: Req[]): Promise<string[]> => {
    batches.push(requests);
    await options.hold?.();
    const err = options.fail?.(requests);
    if (err) throw err;
    return requests.map((r) => `${r.key}=${r.value}`);
  };
  return { batches, many };
}

describe('group commit', () => {
  test('requests made in the same turn share one statement, and each gets its own answer', async () => {
    const { batches, many } = recorder();
    const gc = new GroupCommit(many, { maxBatch: 64, lanes: 1, conflictKey: (r) => r.key });
    const answers = await Promise.all(['a', 'b', 'c'].map((key, i) => gc.run({ key, value: i })));
    assert.deepEqual(answers, ['a=0', 'b=1', 'c=2']);
    assert.deepEqual(batches.map((b) => b.map((r) => r.key)), [['a', 'b', 'c']]);
  });

  test('requests arriving while every lane is busy go out together when one frees up', async () => {
    let release!: () => void;
    let first = true;
    const { batches, many } = recorder({ hold: () => (first ? ((first = false), new Promise<void>((r) => (release = r))) : Promise.resolve()) });
    const gc = new GroupCommit(many, { maxBatch: 64, lanes: 1, conflictKey: (r) => r.key });
    const a = gc.run({ key: 'a', value: 1 });
    await nextTurn();
    const rest = ['b', 'c', 'd'].map((key) => gc.run({ key, value: 2 }));
    await nextTurn();
    assert.equal(batches.length, 1, 'nothing else is sent while the only lane is busy');
    release();
    assert.deepEqual(await Promise.all([a, ...rest]), ['a=1', 'b=2', 'c=2', 'd=2']);
    assert.deepEqual(batches.map((b) => b.map((r) => r.key)), [['a'], ['b', 'c', 'd']]);
  });

  test('two requests for the same key never share a statement; the later keeps its turn', async () => {
    const { batches, many } = recorder();
    const gc = new GroupCommit(many, { maxBatch: 64, lanes: 1, conflictKey: (r) => r.key });
    await Promise.all([gc.run({ key: 'a', value: 1 }), gc.run({ key: 'b', value: 1 }), gc.run({ key: 'a', value: 2 }), gc.run({ key: 'c', value: 1 })]);
    assert.deepEqual(batches.map((b) => b.map((r) => `${r.key}${r.value}`)), [['a1', 'b1', 'c1'], ['a2']]);
  });

  test('a statement carries at most maxBatch requests, oldest first', async () => {
    const { batches, many } = recorder();
    const gc = new GroupCommit(many, { maxBatch: 2, lanes: 1, conflictKey: (r) => r.key });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => gc.run({ key, value: 0 })));
    assert.deepEqual(batches.map((b) => b.map((r) => r.key)), [['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('at most `lanes` statements are in flight at once', async () => {
    let inFlight = 0;
    let most = 0;
    const many = async (requests: Req[]) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return requests.map((r) => r.key);
    };
    const gc = new GroupCommit(many, { maxBatch: 1, lanes: 2, conflictKey: (r) => r.key });
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.run({ key: `k${i}`, value: i })));
    assert.equal(most, 2);
  });

  test('a batch refused for one request is run again one request at a time: only that request fails', async () => {
    const { batches, many } = recorder({ fail: (batch) => (batch.some((r) => r.value < 0) ? new Error('invalid input syntax for type date') : undefined) });
    const gc = new GroupCommit(many, { maxBatch: 64, lanes: 1, conflictKey: (r) => r.key });
    const results = await Promise.allSettled([gc.run({ key: 'a', value: 1 }), gc.run({ key: 'bad', value: -1 }), gc.run({ key: 'c', value: 3 })]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['a=1', 'invalid input syntax for type date', 'c=3']);
    assert.deepEqual(batches.map((b) => b.map((r) => r.key)), [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  test('a database that cannot be reached fails every request of the batch with that error, without retrying', async () => {
    const down = new PartnerdError('PD_DATABASE_UNAVAILABLE', 'cannot reach PostgreSQL');
    const { batches, many } = recorder({ fail: () => down });
    const gc = new GroupCommit(many, { maxBatch: 64, lanes: 1, conflictKey: (r) => r.key });
    const results = await Promise.allSettled(['a', 'b'].map((key) => gc.run({ key, value: 0 })));
    assert.deepEqual(results.map((r) => (r.status === 'rejected' ? r.reason : r.value)), [down, down]);
    assert.equal(batches.length, 1);
  });
});
