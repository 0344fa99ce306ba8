/**
 * BRP in a process of its own: the simulator where the caller's own work (intake, polling, its
 * garbage collector) cannot delay BRP's clock, and where a chaos scenario can kill it (BRP down:
 * connections refused) or stop it with SIGSTOP (BRP hanging: connections accepted, never
 * answered). Every order it commits is appended to BRP_PROCESS_ORDERS before the answer is sent:
 * BRP's own record, which outlives the process as a real BRP's database would. Each line holds
 * the order number, when its request arrived (what a rate limit at BRP's door counts) and when
 * BRP created it.
 *
 * Run by `startBrpProcess` (support/brp-process-control.ts).
 * Environment: BRP_PROCESS_PORT, BRP_PROCESS_ORDERS (file), BRP_PROCESS_API_KEY,
 * BRP_PROCESS_FAULTS (JSON FaultConfig).
 */
import { open } from 'node:fs/promises';
import { startBrpSimulator } from '../src/simulator/index.js';
import { TEST_CATALOGUE, XSD_PATH } from './pipeline.js';

// Opened once for appending: each line is one write at the end of the file, whatever runs beside it.
const record = await open(process.env.BRP_PROCESS_ORDERS!, 'a');
const sim = await startBrpSimulator({
  port: Number(process.env.BRP_PROCESS_PORT),
  xsdPath: XSD_PATH,
  instances: { t1: { apiKey: process.env.BRP_PROCESS_API_KEY!, catalogue: TEST_CATALOGUE } },
  faults: JSON.parse(process.env.BRP_PROCESS_FAULTS ?? '{}'),
  // The file below is BRP's record; the same records in the heap would only slow the process down.
  keepOrders: false,
  // Written before the answer (awaited), off the event loop: a synchronous write that waits on
  // the disk would hold every request behind it, and BRP's clock with them.
  onOrder: async (o) => {
    await record.write(`${JSON.stringify({ ordernr: o.ordernr, delivery: o.delivery, receivedAt: o.receivedAt, createdAt: o.createdAt })}\n`);
  },
});
process.stdout.write(`listening ${sim.url}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
