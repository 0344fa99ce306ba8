#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { AdminService } from '../admin/admin-service.js';
import { OrderDocumentFactory } from '../brp/order-document.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { PORTALS, type Portal } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import { isIsoDate } from '../domain/stockholm-date.js';
import { createSopIngest } from '../ingest/file-drop/sop-ingest.js';
import { createPullIngest, resumePortal } from '../ingest/pull/pull-ingest.js';
import { renderPortalPayload } from '../admin/render-portal-payload.js';
import { createDaemon } from '../daemon/daemon.js';
import { createServices, type Services } from '../daemon/services.js';
import { isPartnerdError, PartnerdError } from '../errors.js';
import { parseJsonText } from '../ingest/payload/json-text.js';
import { decodeUtf8Strict, describeUtf8Error } from '../ingest/payload/strict-utf8.js';
import { migrate } from '../ledger/migrations.js';
import { createLogger } from '../observability/logger.js';
import { logEvent } from '../observability/log-event.js';
import { runSimulatorFromCli } from '../simulator/index.js';

/** Exit codes: 0 ok, 1 failure, 2 the input is invalid (validation errors were printed). */
const EXIT_INVALID = 2;

const program = new Command('partnerd')
  .description('Turns wellness-portal orders into BRP partner orders, exactly once.')
  .option('-c, --config <path>', 'config file (default: $PARTNERD_CONFIG or config/partnerd.yaml)');

function config(): Config {
  return loadConfig(program.opts<{ config?: string }>().config ?? process.env.PARTNERD_CONFIG ?? undefined);
}

/** Commands other than `run` print results on stdout, so their logs go to stderr. */
function cliLogger(cfg: Config) {
  return createLogger({ level: process.env.LOG_LEVEL ?? (cfg.log.level === 'info' ? 'warn' : cfg.log.level) }, pino.destination(2));
}

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const cfg = config();
  const services = await createServices(cfg, cliLogger(cfg));
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** An operator's input file, or standard input for `-` (`docker run -i partnerd submit - < orders.json`). */
async function readInput(file: string): Promise<Buffer> {
  return file === '-' ? buffer(process.stdin) : readFile(file);
}

/** Canonical orders from an operator's file or stdin: strict UTF-8, and a syntax error by place, never quoted. */
async function readOrders(file: string): Promise<unknown[]> {
  const name = file === '-' ? 'standard input' : file;
  const text = decodeUtf8Strict(await readInput(file));
  if (!text.ok) throw new PartnerdError('PD_ORDER_INVALID', `${name} is not valid UTF-8 (${describeUtf8Error(text.error)})`);
  const json = parseJsonText(text.text);
  if (!json.ok) throw new PartnerdError('PD_ORDER_INVALID', `${name} is not valid JSON${json.where ? ` (${json.where})` : ''}`);
  return Array.isArray(json.value) ? json.value : [json.value];
}

program
  .command('run')
  .description('run the daemon: BRP submission workers for every configured tenant')
  .action(async () => {
    const cfg = config();
    const logger = createLogger({ level: cfg.log.level });
    // Migrations first, under PostgreSQL's advisory lock: replicas starting together wait for one another.
    const services = await createServices(cfg, logger, { schema: 'run' });
    const daemon = createDaemon(services);
    const shutdown = (signal: string) => {
      void daemon.stop(signal).then(() => services.close()).then(() => process.exit(0), (err) => {
        logEvent(logger, 'daemon.stop_failed', { err });
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    await daemon.start();
  });

program
  .command('migrate')
  .description('bring the ledger database\'s schema up to date (the daemon also does this at start, under a lock)')
  .action(async () => {
    const cfg = config();
    const { applied } = await migrate(cfg.database, cliLogger(cfg));
    console.log(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'schema is up to date');
  });

program
  .command('simulate-brp')
  .description('run the BRP simulator (sandbox, demo, tests, benchmarks)')
  .option('--sim-config <path>', 'simulator config', 'config/simulator.yaml')
  .option('--port <n>', 'port', parseIntArg)
  .option('--latency-ms <n>', 'added latency per request', parseIntArg)
  .option('--rate-5xx <r>', 'share of requests answered 5xx (0..1)', parseRate)
  .option('--rate-429 <r>', 'share answered 429 with Retry-After', parseRate)
  .option('--rate-401 <r>', 'share answered 401', parseRate)
  .option('--rate-timeout-after-commit <r>', 'share created but never answered', parseRate)
  .option('--rate-reset-after-commit <r>', 'share created, then the connection is reset', parseRate)
  .option('--rate-malformed-2xx <r>', 'share created and answered with a malformed body', parseRate)
  .action(async (o) => {
    await runSimulatorFromCli(o.simConfig, {
      port: o.port, latencyMs: o.latencyMs, rate5xx: o.rate5xx, rate429: o.rate429, rate401: o.rate401,
      rateTimeoutAfterCommit: o.rateTimeoutAfterCommit, rateResetAfterCommit: o.rateResetAfterCommit, rateMalformed2xx: o.rateMalformed2xx,
    });
  });

program
  .command('submit <file>')
  .description('enqueue canonical orders from a JSON file (one order or an array), or from standard input with `-`: operators\' manual entry')
  .action(async (file: string) => {
    const orders = await readOrders(file);
    await withServices(async (s) => {
      for (const [i, input] of orders.entries()) {
        const r = await s.intake.accept(input);
        if (r.status === 'invalid') {
          process.exitCode = EXIT_INVALID;
          console.log(`#${i} invalid`);
          for (const e of r.errors) console.log(`  ${e.path}: ${e.message}`);
        } else if (r.status === 'duplicate') {
          console.log(`#${i} duplicate ${r.key} (already ${r.state})`);
        } else {
          console.log(`#${i} accepted ${r.key}`);
        }
      }
    });
  });

program
  .command('render <portalOrFile> [payloadFile]')
  .description('dry run with the daemon\'s config. `render <portal> <payload-file>`: a portal payload (Benify JSON, Actiway XML, Wellnet or Epassi page, S&P CSV) → a JSON array of {key, tenant, url, xml}, one per BRP order. `render <file.json>`: canonical orders → their XML. Validation errors: exit 2')
  .action(async (first: string, second: string | undefined) => {
    const cfg = config();
    const documents = new OrderDocumentFactory(XsdValidator.fromFile(cfg.xsdPath));
    if (second !== undefined) {
      if (!(PORTALS as readonly string[]).includes(first)) throw new InvalidArgumentError(`unknown portal ${first} (${PORTALS.join(', ')})`);
      const result = renderPortalPayload(cfg, documents, first as Portal, await readInput(second));
      if (result.ok) {
        console.log(JSON.stringify(result.orders, null, 2));
        return;
      }
      process.exitCode = EXIT_INVALID;
      for (const p of result.problems) {
        console.error(`${p.order} invalid`);
        for (const e of p.errors) console.error(`  ${e.path || '(order)'}: ${e.message}`);
      }
      return;
    }
    for (const [i, input] of (await readOrders(first)).entries()) {
      const tenantName = (input as { tenant?: string }).tenant;
      const form = (tenantName && cfg.tenants[tenantName]?.personnummerForm) || 'short';
      const v = validateOrder(input, { personnummerForm: form });
      const errors = v.ok ? [] : [...v.errors];
      if (tenantName && !cfg.tenants[tenantName]) errors.unshift({ path: 'tenant', message: 'no tenant with this name is configured' });
      if (errors.length > 0 || !v.ok) {
        process.exitCode = EXIT_INVALID;
        console.error(`#${i} invalid`);
        for (const e of errors) console.error(`  ${e.path}: ${e.message}`);
        continue;
      }
      const proven = documents.prove(v.order);
      if (!proven.ok) {
        process.exitCode = EXIT_INVALID;
        console.error(`#${i} invalid`);
        for (const e of proven.errors) console.error(`  ${e.path}: ${e.message}`);
        continue;
      }
      process.stdout.write(documents.renderForSending(v.order, proven.proof) + '\n');
    }
  });

program
  .command('orders')
  .description('list orders, newest change first')
  .option('--state <state>', 'only this state')
  .option('--tenant <tenant>', 'only this tenant')
  .option('--limit <n>', 'at most this many', parseIntArg, 50)
  .option('--json', 'JSON lines instead of a table')
  .action(async (o) => {
    if (o.state && !AdminService.isState(o.state)) throw new InvalidArgumentError(`unknown state ${o.state}`);
    await withServices(async (s) => {
      const rows = await new AdminService(s).list({ state: o.state, tenant: o.tenant, limit: o.limit });
      for (const r of rows) {
        if (o.json) console.log(JSON.stringify(r));
        else console.log([r.updatedAt, r.state.padEnd(10), r.key, r.brpOrderNumber ?? '-', r.invoiceNumber ?? '-', r.ocr ?? '-', r.sumOre ?? '-', r.lastError ?? r.brpError ?? ''].join('  '));
      }
    });
  });

program.command('show <key>').description('one order with its attempt history (personal data masked)')
  .action((key: string) => withServices(async (s) => { console.log(JSON.stringify(await new AdminService(s).show(key), null, 2)); }));

program.command('status').description('orders per state and each tenant\'s queue')
  .action(() => withServices(async (s) => {
    const admin = new AdminService(s);
    console.log(JSON.stringify({ orders: await admin.counts(), tenants: await admin.tenants() }, null, 2));
  }));

program.command('requeue <key>').description('send a dead, rejected or in-doubt order again (in-doubt: only after checking BRP has no such order)')
  .action((key: string) => withServices(async (s) => { console.log(`requeued ${key} (was ${await new AdminService(s).requeue(key)})`); }));

program.command('resolve <key>').description('record an in-doubt order as confirmed, with the numbers found in BRP')
  .requiredOption('--brp-order <n>', 'BRP order number').option('--invoice <n>', 'invoice number').option('--ocr <n>', 'OCR number')
  .action((key: string, o) => withServices(async (s) => {
    await new AdminService(s).resolveConfirmed(key, { brpOrderNumber: o.brpOrder, invoiceNumber: o.invoice, ocr: o.ocr });
    console.log(`resolved ${key} as confirmed (BRP order ${o.brpOrder})`);
  }));

program.command('resume <tenant>').description('resume a tenant paused after BRP refused its key (401/403)')
  .action((tenant: string) => withServices(async (s) => {
    console.log((await new AdminService(s).resumeTenant(tenant)) ? `resumed ${tenant}` : `${tenant} was not paused`);
  }));

program.command('reroute <key>').description('route an unroutable order (~:portal:ordernr) again after its venue or article was added to the config')
  .action((key: string) => withServices(async (s) => {
    const r = await s.portalIntake.reroute(key);
    if (r.status === 'accepted') console.log(`rerouted ${key} → ${r.key} (queued)`);
    else if (r.status === 'unroutable') { console.log(`${key} is still unroutable: ${r.reason}`); process.exitCode = 1; }
    else if (r.status === 'duplicate') console.log(`${key} continues as ${r.key} (already ${r.state})`);
    else if (r.status === 'rejected') {
      process.exitCode = EXIT_INVALID;
      console.log(`${key} routed but invalid; recorded as rejected`);
      for (const e of r.errors) console.log(`  ${e.path}: ${e.message}`);
    }
  }));

program.command('receipts <portal>').description('write the S&P receipts file now: `receipts sop [--date YYYY-MM-DD]` (default: yesterday, Stockholm time)')
  .option('--date <day>', 'the Stockholm day whose outcomes to report')
  .action((portal: string, o: { date?: string }) => withServices(async (s) => {
    if (portal !== 'sop') throw new InvalidArgumentError('receipts are written for sop only');
    if (o.date !== undefined && !isIsoDate(o.date)) throw new InvalidArgumentError('--date must be a real YYYY-MM-DD date');
    console.log(await createSopIngest(s).writeReceipts(o.date));
  }));

program.command('scan <portal>').description('scan the S&P inbox now: `scan sop`')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'sop') throw new InvalidArgumentError('only sop has an inbox');
    const summary = await createSopIngest(s).scanOnce();
    for (const f of summary.files) console.log(`${f.file}: ${f.outcome} (${f.orders} orders: ${f.accepted} accepted, ${f.duplicate} duplicate, ${f.unroutable} unroutable, ${f.rejected} rejected)`);
    if (summary.files.length === 0) console.log('inbox empty');
  }));

program.command('poll <portal>').description('poll a pull portal now: `poll wellnet` or `poll epassi` (exit 1 unless the poll ran)')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'wellnet' && portal !== 'epassi') throw new InvalidArgumentError('wellnet or epassi');
    const pull = createPullIngest(s);
    try {
      const summary = await pull.pollOnce(portal);
      console.log(JSON.stringify(summary));
      if (summary.outcome !== 'ok') process.exitCode = 1;
    } finally {
      await pull.stop();
    }
  }));

program.command('resume-portal <portal>').description('resume polling and notifying a portal stopped after it refused our credentials (401/403), once they are fixed')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'wellnet' && portal !== 'epassi') throw new InvalidArgumentError('wellnet or epassi');
    const { wasStopped, notifyWasStopped } = await resumePortal(s, portal);
    const what = [wasStopped ? 'polling' : '', notifyWasStopped ? 'notifying' : ''].filter(Boolean).join(' and ');
    console.log(what ? `resumed ${what} ${portal}` : `${portal} was not stopped`);
  }));

function parseIntArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
}
function parseRate(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a number from 0 to 1');
  return n;
}

// One line per failure, never a stack trace (an operator reads it; LOG_LEVEL=debug adds the stack).
program.parseAsync(process.argv).catch((err: unknown) => {
  if (isPartnerdError(err)) {
    console.error(`partnerd: ${err.message}`);
    process.exit(err.code === 'PD_ORDER_INVALID' ? EXIT_INVALID : 1);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`partnerd: ${message.split('\n')[0]}`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(err);
  process.exit(1);
});
