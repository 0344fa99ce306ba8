import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBrpRecord } from '../../support/brp-process-control.js';

/**
 * BRP's record is read by the chaos suite and the backlog bench while BRP's process still appends
 * to it. A read that lands in the middle of a write sees part of a line; the chaos suite's outage
 * scenario died on one (`Unterminated string in JSON`).
 */
test('readBrpRecord counts whole lines only: a line still being written is left for the next read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-brp-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'orders.jsonl');
  const line = (ordernr: string) => `${JSON.stringify({ ordernr, delivery: 'd', receivedAt: '2026-12-01T09:00:00.001Z', createdAt: '2026-12-01T09:00:00.003Z' })}\n`;

  assert.deepEqual(readBrpRecord(file), [], 'no file yet');
  writeFileSync(file, line('A') + line('B').slice(0, 14));
  assert.deepEqual(readBrpRecord(file), [{ ordernr: 'A', delivery: 'd', receivedAt: Date.parse('2026-12-01T09:00:00.001Z'), createdAt: Date.parse('2026-12-01T09:00:00.003Z') }]);
  writeFileSync(file, line('A') + line('B'));
  assert.deepEqual(readBrpRecord(file).map((o) => o.ordernr), ['A', 'B']);
});
