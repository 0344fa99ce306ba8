/**
 * `npm run chaos`: the project's own chaos suite. One JSON line per scenario on stdout (progress
 * on stderr); exit 1 if any scenario lost an order, sent one to BRP twice, or left one stuck.
 *
 * Environment: CHAOS_SCALE (1 = 3,000 orders per scenario and a 2-minute BRP outage; CI runs 0.1),
 * CHAOS_SCENARIOS (comma-separated names; default all).
 */
import { ChaosRig } from './harness.js';
import { SCENARIOS } from './scenarios.js';

const scale = Number(process.env.CHAOS_SCALE ?? 1);
if (!(scale > 0 && scale <= 1)) throw new Error('CHAOS_SCALE must be in (0, 1]');
const wanted = process.env.CHAOS_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = wanted?.filter((w) => !SCENARIOS.some((s) => s.name === w)) ?? [];
if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (${SCENARIOS.map((s) => s.name).join(', ')})`);

const rig = await ChaosRig.start();
let broken = 0;
try {
  for (const scenario of SCENARIOS.filter((s) => !wanted || wanted.includes(s.name))) {
    process.stderr.write(`[chaos] ${scenario.name} (scale ${scale})\n`);
    const tally = await scenario.run(rig, scale);
    const ok = tally.lost === 0 && tally.duplicateAtBrp === 0 && tally.stuck === 0;
    if (!ok) broken++;
    process.stdout.write(`${JSON.stringify({ ...tally, ok })}\n`);
  }
} finally {
  await rig.close();
}
process.exit(broken > 0 ? 1 : 0);
