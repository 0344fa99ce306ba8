/**
 * The chaos suite's BRP: the simulator in a process of its own, so a scenario can kill it (BRP
 * down: connections refused) or stop it with SIGSTOP (BRP hanging: connections accepted, never
 * answered). Every order it commits is appended to CHAOS_BRP_ORDERS before the answer is sent:
 * BRP's own record, which outlives the process as a real BRP's database would.
 *
 * Environment: CHAOS_BRP_PORT, CHAOS_BRP_ORDERS (file), CHAOS_BRP_API_KEY, CHAOS_BRP_FAULTS (JSON FaultConfig).
 */
import { appendFileSync } from 'node:fs';
import { startBrpSimulator } from '../src/simulator/index.js';
import { TEST_CATALOGUE, XSD_PATH } from '../support/pipeline.js';

const ordersFile = process.env.CHAOS_BRP_ORDERS!;
const sim = await startBrpSimulator({
  port: Number(process.env.CHAOS_BRP_PORT),
  xsdPath: XSD_PATH,
  instances: { t1: { apiKey: process.env.CHAOS_BRP_API_KEY!, catalogue: TEST_CATALOGUE } },
  faults: JSON.parse(process.env.CHAOS_BRP_FAULTS ?? '{}'),
  onOrder: (o) => appendFileSync(ordersFile, `${JSON.stringify({ ordernr: o.ordernr, delivery: o.delivery, at: o.createdAt })}\n`),
});
process.stdout.write(`listening ${sim.url}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
