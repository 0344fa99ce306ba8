import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { ICruiseResult } from 'dependency-cruiser';

/**
 * The layer order in .dependency-cruiser.cjs, checked on every import of src/ and of the rigs
 * (bench/, chaos/, support/): no import from a higher layer or from another folder of the same
 * layer, no loop, src/ never reaching into test or rig code, the rigs never into test/.
 *
 * dependency-cruiser runs as its own process: its swc visitor does not survive tsx's loader.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DEPCRUISE = resolve(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

async function cruise(): Promise<ICruiseResult> {
  const args = [DEPCRUISE, 'src', 'bench', 'chaos', 'support', '--config', '.dependency-cruiser.cjs', '--output-type', 'json', '--progress', 'none'];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as ICruiseResult;
  } catch (err) {
    // Violations make it exit non-zero; its report is still on stdout.
    const stdout = (err as { stdout?: string }).stdout;
    if (stdout?.startsWith('{')) return JSON.parse(stdout) as ICruiseResult;
    throw err;
  }
}

test('every import follows the layer order (.dependency-cruiser.cjs)', async () => {
  const { summary } = await cruise();
  // A cruise that found nothing to read would pass for the wrong reason.
  assert.ok(summary.totalCruised > 150, `dependency-cruiser read only ${summary.totalCruised} modules`);
  const offending = summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to}`);
  assert.deepEqual(offending, [], `imports that break the layer order:\n  ${offending.join('\n  ')}`);
});
