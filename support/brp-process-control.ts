import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FaultConfig } from '../src/simulator/index.js';

const ROOT = resolve(import.meta.dirname, '..');

/** One order in BRP's record: its times on BRP's clock (ms since the epoch). */
export interface BrpRecordEntry { ordernr: string; delivery: string; receivedAt: number; createdAt: number }

/**
 * BRP's record so far, in the order it committed them (support/brp-process.ts writes it). Read
 * while BRP still appends to it, the file can end in part of a line: only whole lines count.
 */
export function readBrpRecord(ordersFile: string): BrpRecordEntry[] {
  if (!existsSync(ordersFile)) return [];
  const text = readFileSync(ordersFile, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((line) => {
    const o = JSON.parse(line) as { ordernr: string; delivery: string; receivedAt: string; createdAt: string };
    return { ordernr: o.ordernr, delivery: o.delivery, receivedAt: Date.parse(o.receivedAt), createdAt: Date.parse(o.createdAt) };
  });
}

/**
 * Starts the simulator in a process of its own (support/brp-process.ts) with instance `t1`, and
 * resolves once it listens on `port`. Its orders are appended to `ordersFile`.
 */
export async function startBrpProcess(options: { port: number; ordersFile: string; apiKey: string; faults?: FaultConfig }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'support/brp-process.ts'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env, BRP_PROCESS_PORT: String(options.port), BRP_PROCESS_ORDERS: options.ordersFile,
      BRP_PROCESS_API_KEY: options.apiKey, BRP_PROCESS_FAULTS: JSON.stringify(options.faults ?? {}),
    },
  });
  await new Promise<void>((resolveReady, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolveReady(); });
    child.once('exit', (code) => reject(new Error(`BRP simulator exited (${code})`)));
  });
  return child;
}
