#!/usr/bin/env node
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { buffer } from 'node:stream/consumers';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import type { AdminService } from '../admin/admin-service.js';
import { operator, type Operator } from '../admin/operator.js';
import type { SelectionInput } from '../admin/order-selection.js';
import { ordersTable, orderPage } from './format.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { PORTALS, type Portal } from '../domain/canonical-order.js';
import { formatOreSwedish } from '../domain/money.js';
import { isIsoDate, previousStockholmDay } from '../domain/stockholm-date.js';
import type { Services } from '../daemon/services.js';
import { isPartnerdError, PartnerdError } from '../errors.js';
import { parseJsonText } from '../ingest/payload/json-text.js';
import { decodeUtf8Strict, describeUtf8Error } from '../ingest/payload/strict-utf8.js';
import type { InvoiceFormat } from '../finance/invoice-export.js';
import type { Database } from '../ledger/database.js';
import { createLogger } from '../observability/logger.js';
import { logEvent } from '../observability/log-event.js';

/*
 * Each command loads the modules it needs when it runs (dynamic import), not all of them at
 * start: the daemon, the simulator, BullMQ, fastify and libxmljs2 together take ~60 MiB and a
 * second of CPU, which `export invoices` (streaming with flat memory) and every quick operator
 * command would otherwise pay.
 */

/**
 * Exit codes: 0 ok, 1 failure, 2 the input is invalid (validation errors were printed).
 * Commander's InvalidArgumentError is for option parsers only (commander reports it); an action
 * refuses an argument with PD_INVALID_ARGUMENT.
 */
const EXIT_INVALID = 2;

const program = new Command('partnerd')
  .description('Turns wellness-portal orders into BRP partner orders, exactly once.')
  .option('-c, --config <path>', 'config file (default: $PARTNERD_CONFIG or config/partnerd.yaml)')
  .option('--actor <name>', 'who acts, for the audit trail of requeue, resolve, amend, reroute, resume, retention and erase (default: the OS user)');

/** The config, with every environment override applied (load-config.ts: LOG_LEVEL, REDIS_URL, …). */
function config(): Config {
  loaded = loadConfig(program.opts<{ config?: string }>().config);
  return loaded;
}
let loaded: Config | undefined;

/**
 * Lines that only say a store is unreachable: the command fails with one line saying so
 * ("cannot reach Redis at host:port"), so these are not printed on top of it.
 */
const STORE_NOISE = /"event":"(?:redis\.error|redis\.ready|database\.connection_lost)"/;

/**
 * Commands other than `run` print results on stdout, so their logs go to stderr, and at `info`
 * (the default) only warnings: an operator's command prints its result, not the daemon's chatter.
 */
function cliLogger(cfg: Config) {
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      if (!STORE_NOISE.test(text)) process.stderr.write(text);
      done();
    },
  });
  return createLogger({ level: cfg.log.level === 'info' ? 'warn' : cfg.log.level }, stderr);
}

/** Operators' actions are logged on stderr at info (`admin.*` lines), whatever the CLI's level. */
async function auditLogger() {
  const { AdminAudit } = await import('../admin/admin-audit.js');
  return new AdminAudit(createLogger({ level: 'info' }, pino.destination(2)));
}

function actor(): Operator {
  const given = program.opts<{ actor?: string }>().actor;
  let name = given;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = process.env.USER ?? 'operator';
    }
  }
  return operator(name, 'cli');
}

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const cfg = config();
  // A command waits a few seconds for Redis, then says it cannot reach it (the daemon waits longer).
  const { createServices } = await import('../daemon/services.js');
  const services = await createServices(cfg, cliLogger(cfg), { redisWaitMs: 5_000 });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function admin(s: Services): Promise<AdminService> {
  const { AdminService } = await import('../admin/admin-service.js');
  return new AdminService(s, { audit: await auditLogger() });
}

/**
 * A file the operator named, or standard input for `-` (`docker compose exec -T partnerd partnerd
 * submit - < orders.json`); a problem with it names the file, never its content.
 */
async function readNamedFile(file: string): Promise<Buffer> {
  if (file === '-') return buffer(process.stdin);
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code ?? 'unreadable';
    throw new PartnerdError('PD_FILE_UNREADABLE', `${file}: ${why}`);
  }
}

/** JSON from an operator's file: strict UTF-8, and a syntax error by place, never quoted. */
async function readJsonFile(file: string): Promise<unknown> {
  const name = file === '-' ? 'standard input' : file;
  const text = decodeUtf8Strict(await readNamedFile(file));
  if (!text.ok) throw new PartnerdError('PD_ORDER_INVALID', `${name} is not valid UTF-8 (${describeUtf8Error(text.error)})`);
  const json = parseJsonText(text.text);
  if (!json.ok) throw new PartnerdError('PD_ORDER_INVALID', `${name} is not valid JSON${json.where ? ` (${json.where})` : ''}`);
  return json.value;
}

/** Canonical orders from an operator's file (one object or an array). */
async function readOrders(file: string): Promise<unknown[]> {
  const value = await readJsonFile(file);
  return Array.isArray(value) ? value : [value];
}

function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

program
  .command('run')
  .description('run the daemon: BRP submission workers for every configured tenant')
  .action(async () => {
    const cfg = config();
    const logger = createLogger({ level: cfg.log.level });
    // Migrations first, under PostgreSQL's advisory lock: replicas starting together wait for one another.
    const [{ createServices }, { createDaemon }] = await Promise.all([import('../daemon/services.js'), import('../daemon/daemon.js')]);
    const services = await createServices(cfg, logger, { schema: 'run' });
    const daemon = createDaemon(services);
    const shutdown = (signal: string) => {
      // The last line of defence: every close step is bounded, but a process that does not exit
      // holds up a deploy. Past the grace period and the bounded steps, it exits with 1.
      const backstopMs = cfg.shutdownGraceMs + 30_000;
      setTimeout(() => {
        logEvent(logger, 'daemon.stop_stuck', { waitedMs: backstopMs });
        process.exit(1);
      }, backstopMs).unref();
      void daemon.stop(signal).then(() => services.close()).then(() => process.exit(0), (err) => {
        logEvent(logger, 'daemon.stop_failed', { err });
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    try {
      await daemon.start();
    } catch (err) {
      await daemon.stop('start failed').catch(() => undefined);
      await services.close();
      throw listenError(err);
    }
  });

program
  .command('migrate')
  .description('bring the ledger database\'s schema up to date (the daemon also does this at start, under a lock)')
  .action(async () => {
    const cfg = config();
    const { migrate } = await import('../ledger/migrations.js');
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
    const { runSimulatorFromCli } = await import('../simulator/index.js');
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

/** The renderer of the dry runs: the daemon's config, its XSD, the same document factory. */
async function renderer() {
  const cfg = config();
  const [{ OrderDocumentFactory }, { XsdValidator }] = await Promise.all([import('../brp/order-document.js'), import('../brp/xsd-validator.js')]);
  return { cfg, documents: new OrderDocumentFactory(XsdValidator.fromFile(cfg.xsdPath)) };
}

/** `render order <file.json>`: canonical orders → the XML that would be sent, or every error (exit 2). */
async function renderOrders(file: string): Promise<void> {
  const [{ cfg, documents }, { validateOrder }] = await Promise.all([renderer(), import('../domain/validate-order.js')]);
  for (const [i, input] of (await readOrders(file)).entries()) {
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
}

/** `render portal <portal> <payload-file>`: a portal payload → one {key, tenant, url, xml} per BRP order, or every error (exit 2). */
async function renderPortalFile(portal: string, file: string): Promise<void> {
  if (!(PORTALS as readonly string[]).includes(portal)) throw new PartnerdError('PD_INVALID_ARGUMENT', `unknown portal ${portal} (${PORTALS.join(', ')})`);
  const [{ cfg, documents }, { renderPortalPayload }] = await Promise.all([renderer(), import('../admin/render-portal-payload.js')]);
  const result = renderPortalPayload(cfg, documents, portal as Portal, await readNamedFile(file));
  if (result.ok) {
    console.log(JSON.stringify(result.orders, null, 2));
    return;
  }
  process.exitCode = EXIT_INVALID;
  for (const p of result.problems) {
    console.error(`${p.order} invalid`);
    for (const e of p.errors) console.error(`  ${e.path || '(order)'}: ${e.message}`);
  }
}

/*
 * `render order <file>` and `render portal <portal> <file>`. The old forms, `render <file>` and
 * `render <portal> <file>`, still work for one release (as `resume <tenant>` and `resume-portal`).
 */
program
  .command('render <what> [args...]')
  .description('dry run with the daemon\'s config. `render order <file.json>`: canonical orders → their XML. `render portal <portal> <payload-file>`: a portal payload (Benify JSON, Actiway XML, Wellnet or Epassi page, S&P CSV) → a JSON array of {key, tenant, url, xml}, one per BRP order. `-` reads standard input. Validation errors: exit 2. `render <file.json>` and `render <portal> <payload-file>` are the old forms')
  .action(async (what: string, args: string[]) => {
    const usage = 'render order <file.json> or render portal <portal> <payload-file>';
    if (what === 'order') {
      if (args.length !== 1) throw new PartnerdError('PD_INVALID_ARGUMENT', usage);
      return renderOrders(args[0]!);
    }
    if (what === 'portal') {
      if (args.length !== 2) throw new PartnerdError('PD_INVALID_ARGUMENT', usage);
      return renderPortalFile(args[0]!, args[1]!);
    }
    if (args.length === 0) return renderOrders(what);
    if (args.length === 1) return renderPortalFile(what, args[0]!);
    throw new PartnerdError('PD_INVALID_ARGUMENT', usage);
  });

/** The filter flags shared by `orders` and a bulk `requeue`. */
function selectionOptions(cmd: Command): Command {
  return cmd
    .option('--state <states>', 'only these states (comma-separated; `review`: confirmed orders whose BRP numbers are missing)')
    .option('--tenant <tenant>', 'only this tenant (`~`: unroutable orders)')
    .option('--portal <portal>', 'only this portal')
    .option('--since <time>', 'last change at or after this date (YYYY-MM-DD) or ISO time')
    .option('--until <time>', 'last change before this date or ISO time');
}

function selectionOf(o: Record<string, string | undefined>): SelectionInput {
  return { state: o.state, tenant: o.tenant, portal: o.portal, since: o.since, until: o.until };
}

selectionOptions(program.command('orders'))
  .description('list orders, newest change first, with a header; says when there are more (--cursor gives the next page)')
  .option('--limit <n>', 'at most this many (1–1000)', parsePositiveInt, 50)
  .option('--cursor <cursor>', 'the next page, as the previous page said')
  .option('--json', 'JSON: {orders, nextCursor}')
  .action(async (o) => {
    await withServices(async (s) => {
      const page = await (await admin(s)).list({ ...selectionOf(o), limit: o.limit, cursor: o.cursor });
      if (o.json) return json(page);
      console.log(page.orders.length ? ordersTable(page.orders) : 'no orders match');
      if (page.nextCursor) console.log(`… more orders match: add --cursor ${page.nextCursor} for the next ${o.limit}`);
    });
  });

program.command('find <text>').description('orders whose order number, OCR, BRP order number, invoice number or key is exactly <text>')
  .option('--json', 'JSON')
  .action((text: string, o) => withServices(async (s) => {
    const found = await (await admin(s)).find(text);
    if (o.json) return json(found);
    console.log(found.length ? ordersTable(found) : `no order has ${text} as its order number, OCR, BRP order number or invoice number`);
    if (!found.length) process.exitCode = 1;
  }));

program.command('show <key>').description('one order: state, BRP numbers, SEK amounts, the unroutable reason, the review flag, attempts and the audit trail (personal data masked)')
  .option('--json', 'JSON')
  .action((key: string, o) => withServices(async (s) => {
    const d = await (await admin(s)).show(key);
    if (o.json) json(d);
    else console.log(orderPage(d));
  }));

program.command('status').description('orders per state; tenants (queues, pauses); portals (stopped polling, last successful poll, cursor); notify backlog; the S&P inbox')
  .option('--json', 'JSON (the default)')
  .action(() => withServices(async (s) => { json(await (await admin(s)).status()); }));

selectionOptions(program.command('requeue [keys...]'))
  .description('send dead, rejected or in-doubt orders again: the keys given, or (with --state …) every order matching the filters. In-doubt: only after checking BRP has no such order (--not-in-brp --reason). Never confirmed ones')
  .option('--reason <text>', 'why (required for in-doubt orders; kept in the audit trail)')
  .option('--not-in-brp', 'in-doubt orders: I checked BRP and they are NOT there')
  .option('--dry-run', 'bulk: only count the orders and list the first keys')
  .option('--yes', 'bulk: do it without asking')
  .option('--json', 'JSON')
  .action(async (keys: string[], o) => {
    const filtered = ['state', 'tenant', 'portal', 'since', 'until'].some((f) => o[f] !== undefined);
    if (keys.length > 0 && filtered) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give either order keys or filters (--state …), not both');
    if (keys.length === 0 && !filtered) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give order keys, or filters for a bulk re-queue (--state dead [--tenant …] …)');
    const op = actor();
    await withServices(async (s) => {
      const service = await admin(s);
      if (keys.length > 0) {
        if (o.dryRun) throw new PartnerdError('PD_INVALID_ARGUMENT', '--dry-run is for a bulk re-queue by filter');
        const results: Array<{ key: string; fromState?: string; error?: string }> = [];
        for (const key of keys) {
          try {
            results.push(await service.requeue(key, op, { reason: o.reason, notInBrp: o.notInBrp }));
          } catch (err) {
            if (!(err instanceof PartnerdError) || err.code === 'PD_REDIS_UNAVAILABLE' || err.code === 'PD_DATABASE_UNAVAILABLE') throw err;
            if (keys.length === 1) throw err;
            results.push({ key, error: err.message });
            process.exitCode = 1;
          }
        }
        if (o.json) return json(results);
        for (const r of results) console.log(r.error ? `not requeued ${r.key}: ${r.error}` : `requeued ${r.key} (was ${r.fromState})`);
        return;
      }
      const selection = selectionOf(o);
      const preview = await service.requeueMany(selection, op, { reason: o.reason, notInBrp: o.notInBrp, dryRun: true, audit: o.dryRun === true });
      if (!preview.dryRun) return;
      const bare = preview.withoutPayload ? ` (${preview.withoutPayload} more match but have no stored order to send: amend them)` : '';
      if (o.dryRun) {
        if (o.json) return json(preview);
        console.log(`would requeue ${preview.count} order(s)${bare}${preview.firstKeys.length ? `; the first ${preview.firstKeys.length}:` : ''}`);
        for (const k of preview.firstKeys) console.log(`  ${k}`);
        return;
      }
      if (preview.count === 0) {
        if (o.json) return json({ ...preview, dryRun: false, requeued: 0, keys: [] });
        console.log(`no order to requeue${bare}`);
        return;
      }
      if (!o.yes && !(await confirm(`requeue ${preview.count} order(s)${bare}? [y/N] `))) {
        throw new PartnerdError('PD_INVALID_ARGUMENT', `${preview.count} order(s) match; nothing was requeued (add --yes to requeue them, --dry-run to list them)`);
      }
      const bar = new SingleBar({ stream: process.stderr, format: 'requeue [{bar}] {value}/{total} orders', hideCursor: true, clearOnComplete: false });
      let started = false;
      const result = await service.requeueMany(selection, op, {
        reason: o.reason, notInBrp: o.notInBrp,
        onProgress: (done, total) => {
          if (!started) { bar.start(total, done); started = true; } else { bar.setTotal(total); bar.update(done); }
        },
      });
      if (started) bar.stop();
      if (o.json) return json(result);
      if (!result.dryRun) console.log(`requeued ${result.requeued} order(s) in ${(result.durationMs / 1000).toFixed(1)} s${bare}`);
    });
  });

/** Asks on the terminal; without one (a script, a pipe) the answer is no: scripts say --yes. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

program.command('resolve <key>').description('record BRP\'s numbers: an in-doubt order found in BRP becomes confirmed; a confirmed order under review gets the numbers it lacks')
  .requiredOption('--brp-order <n>', 'BRP order number').option('--invoice <n>', 'invoice number').option('--ocr <n>', 'OCR number')
  .option('--reason <text>', 'why (required; kept in the audit trail)')
  .option('--json', 'JSON')
  .action((key: string, o) => withServices(async (s) => {
    const r = await (await admin(s)).resolve(key, actor(), { brpOrderNumber: o.brpOrder, invoiceNumber: o.invoice, ocr: o.ocr, reason: o.reason });
    if (o.json) return json(r);
    console.log(`resolved ${key} as confirmed (BRP order ${o.brpOrder}; was ${r.fromState})`);
    if (r.notifyWaits) console.log('note: the portal is told only once the invoice number and OCR are recorded too (resolve again with --invoice and --ocr)');
  }));

program.command('amend <key>').description('correct a rejected, dead or unroutable order and send it: --file with the whole canonical order, or --patch with only the fields that change (a JSON merge patch); validated like intake')
  .option('--file <order.json>', 'the whole corrected canonical order')
  .option('--patch <patch.json>', 'a JSON merge patch over the stored order')
  .option('--reason <text>', 'why (required; kept in the audit trail)')
  .option('--json', 'JSON')
  .action(async (key: string, o) => {
    if ((o.file === undefined) === (o.patch === undefined)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give --file (the whole order) or --patch (the fields that change)');
    const body = o.file !== undefined ? { order: await readJsonFile(o.file) } : { patch: await readJsonFile(o.patch) };
    await withServices(async (s) => {
      const r = await (await admin(s)).amend(key, actor(), { ...body, reason: o.reason });
      if (o.json) return json(r);
      console.log(`amended ${key} (was ${r.fromState}; changed: ${r.changed.join(', ')})${r.continuesAs ? `; continues as ${r.continuesAs} (queued)` : '; queued'}`);
    });
  });

program.command('reroute <key>').description('route a portal order again with the current config: an unroutable one (~:portal:ordernr) after its venue or article was added, or a rejected one that kept its portal order')
  .option('--reason <text>', 'why (kept in the audit trail)')
  .option('--json', 'JSON')
  .action((key: string, o) => withServices(async (s) => {
    const r = await (await admin(s)).reroute(key, actor(), { reason: o.reason });
    if (o.json) {
      json(r);
      if (r.status === 'unroutable') process.exitCode = 1;
      else if (r.status === 'rejected') process.exitCode = EXIT_INVALID;
      return;
    }
    if (r.status === 'accepted') console.log(`rerouted ${key} → ${r.key} (queued)`);
    else if (r.status === 'unroutable') { console.log(`${key} is still unroutable: ${r.reason}`); process.exitCode = 1; }
    else if (r.status === 'duplicate') console.log(`${key} continues as ${r.key} (already ${r.state})`);
    else if (r.status === 'rejected') {
      process.exitCode = EXIT_INVALID;
      console.log(`${key} routed but invalid; recorded as rejected`);
      for (const e of r.errors) console.log(`  ${e.path}: ${e.message}`);
    }
  }));

async function resumeTenant(tenant: string, o: { reason?: string; json?: boolean }): Promise<void> {
  await withServices(async (s) => {
    const wasPaused = await (await admin(s)).resumeTenant(tenant, actor(), { reason: o.reason });
    if (o.json) return json({ tenant, wasPaused });
    console.log(wasPaused ? `resumed ${tenant}` : `${tenant} was not paused`);
  });
}

async function resumePullPortal(portal: string, o: { reason?: string; json?: boolean }): Promise<void> {
  await withServices(async (s) => {
    const r = await (await admin(s)).resumePortal(portal, actor(), { reason: o.reason });
    if (o.json) return json({ portal, ...r });
    const what = [r.wasStopped ? 'polling' : '', r.notifyWasStopped ? 'notifying' : ''].filter(Boolean).join(' and ');
    console.log(what ? `resumed ${what} ${portal}` : `${portal} was not stopped`);
  });
}

program.command('resume <what> [name]')
  .description('`resume tenant <name>`: a tenant paused after BRP refused its key (401/403); `resume portal <name>`: polling and notifying of a pull portal stopped after it refused our credentials. `resume <tenant>` is the old form')
  .option('--reason <text>', 'why (kept in the audit trail)')
  .option('--json', 'JSON')
  .action(async (what: string, name: string | undefined, o) => {
    if (name === undefined) return resumeTenant(what, o);
    if (what === 'tenant') return resumeTenant(name, o);
    if (what === 'portal') return resumePullPortal(name, o);
    throw new PartnerdError('PD_INVALID_ARGUMENT', `resume tenant <name> or resume portal <name>, not resume ${what}`);
  });

program.command('receipts <portal>').description('write the S&P receipts file now: `receipts sop [--date YYYY-MM-DD]` (default: yesterday, Stockholm time)')
  .option('--date <day>', 'the Stockholm day whose outcomes to report')
  .action((portal: string, o: { date?: string }) => withServices(async (s) => {
    if (portal !== 'sop') throw new PartnerdError('PD_INVALID_ARGUMENT', 'receipts are written for sop only');
    if (o.date !== undefined && !isIsoDate(o.date)) throw new PartnerdError('PD_INVALID_ARGUMENT', '--date must be a real YYYY-MM-DD date');
    const { createSopIngest } = await import('../ingest/file-drop/sop-ingest.js');
    console.log(await createSopIngest(s).writeReceipts(o.date));
  }));

program.command('scan <portal>').description('scan the S&P inbox now: `scan sop`')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'sop') throw new PartnerdError('PD_INVALID_ARGUMENT', 'only sop has an inbox');
    const { createSopIngest } = await import('../ingest/file-drop/sop-ingest.js');
    const summary = await createSopIngest(s).scanOnce();
    for (const f of summary.files) console.log(`${f.file}: ${f.outcome} (${f.orders} orders: ${f.accepted} accepted, ${f.duplicate} duplicate, ${f.unroutable} unroutable, ${f.rejected} rejected)`);
    if (summary.files.length === 0) console.log('inbox empty');
  }));

program.command('poll <portal>').description('poll a pull portal now: `poll wellnet` or `poll epassi` (exit 1 unless the poll ran)')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'wellnet' && portal !== 'epassi') throw new PartnerdError('PD_INVALID_ARGUMENT', 'wellnet or epassi');
    const { createPullIngest } = await import('../ingest/pull/pull-ingest.js');
    const pull = createPullIngest(s);
    try {
      const summary = await pull.pollOnce(portal);
      console.log(JSON.stringify(summary));
      if (summary.outcome !== 'ok') process.exitCode = 1;
    } finally {
      await pull.stop();
    }
  }));

program.command('resume-portal <portal>').description('the old form of `resume portal <portal>`')
  .option('--reason <text>', 'why (kept in the audit trail)')
  .option('--json', 'JSON')
  .action((portal: string, o) => resumePullPortal(portal, o));

// ---- finance and data protection ---------------------------------------------------------------

/** Commands that only read or write the ledger (no Redis): a pool, the schema checked. */
async function withDatabase<T>(fn: (database: Database, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = config();
  const [{ createDatabase, databaseAddress }, { assertSchemaCurrent }] = await Promise.all([import('../ledger/database.js'), import('../ledger/migrations.js')]);
  const database = createDatabase(cfg.database, cliLogger(cfg), 'partnerd-cli');
  try {
    await assertSchemaCurrent(database, databaseAddress(cfg.database.url));
    return await fn(database, cfg);
  } finally {
    await database.end().catch(() => undefined);
  }
}

function portalArg(v: string | undefined): Portal | undefined {
  if (v === undefined) return undefined;
  if (!(PORTALS as readonly string[]).includes(v)) throw new PartnerdError('PD_INVALID_ARGUMENT', `unknown portal ${v} (${PORTALS.join(', ')})`);
  return v as Portal;
}

function dayArg(v: string): string {
  if (!isIsoDate(v)) throw new InvalidArgumentError('a real date written YYYY-MM-DD');
  return v;
}

const sek = (ore: number) => `${formatOreSwedish(ore)} kr`;

const exportCommand = program.command('export').description('exports for finance: `export invoices`');
exportCommand
  .command('invoices')
  .description('one row per confirmed order, confirmed between --from and --to (Stockholm days, both included): portal, order ids, employer, BRP order/invoice/OCR, dates, totals and VAT per rate in SEK and öre. No personal data. Progress and totals on stderr')
  .requiredOption('--from <day>', 'first day (YYYY-MM-DD)', dayArg)
  .requiredOption('--to <day>', 'last day (YYYY-MM-DD)', dayArg)
  .option('--portal <portal>', 'only this portal')
  .option('--tenant <tenant>', 'only this tenant')
  .option('--format <format>', 'csv or jsonl', 'csv')
  .option('--excel', 'CSV for a Swedish Excel: ; as separator, decimal comma, UTF-8 byte-order mark')
  .option('--out <file>', 'write here (complete or not at all) instead of stdout')
  .action(async (o: { from: string; to: string; portal?: string; tenant?: string; format: string; excel?: boolean; out?: string }) => {
    if (o.format !== 'csv' && o.format !== 'jsonl') throw new PartnerdError('PD_INVALID_ARGUMENT', '--format must be csv or jsonl');
    const portal = portalArg(o.portal);
    const [{ exportInvoices }, { Presets, SingleBar }] = await Promise.all([import('../finance/invoice-export.js'), import('cli-progress')]);
    await withDatabase(async (database) => {
      const bar = new SingleBar({
        stream: process.stderr, format: 'export invoices [{bar}] {value}/{total} orders', hideCursor: null,
        noTTYOutput: true, notTTYSchedule: 2_000, clearOnComplete: false,
      }, Presets.shades_classic);
      let started = false;
      const onProgress = (done: number, total: number) => {
        if (!started) { bar.start(total, done); started = true; } else bar.update(done);
      };
      // A file is written under a temporary name and renamed once complete: never half an export.
      const partial = o.out ? `${o.out}.partial` : undefined;
      const file = partial ? createWriteStream(partial) : undefined;
      // Opened before anything can fail, so that a failure's unlink never races the open.
      if (file) await once(file, 'open');
      const target = file ?? process.stdout;
      let summary;
      try {
        summary = await exportInvoices(database, {
          from: o.from, to: o.to, ...(portal ? { portal } : {}), ...(o.tenant ? { tenant: o.tenant } : {}),
          format: o.format as InvoiceFormat, excel: o.excel ?? false, onProgress, end: partial !== undefined,
        }, target);
      } catch (err) {
        file?.destroy();
        if (partial) await unlink(partial).catch(() => undefined);
        throw err;
      } finally {
        if (started) bar.stop();
      }
      if (partial && o.out) await rename(partial, o.out);
      const vat = summary.vatByRate.map((v) => `${v.ratePercent} %: ${sek(v.ore)}`).join(', ') || 'none';
      console.error(
        `exported ${summary.rows} confirmed order(s), ${o.from}..${o.to}${o.out ? ` to ${o.out}` : ''}: total incl. VAT ${sek(summary.totalIncVatOre)}, ` +
        `ex. VAT ${sek(summary.totalExVatOre)}, VAT ${vat}; amount as sent (no BRP sums) ${summary.byAmountSource.as_sent}, ` +
        `no amount ${summary.byAmountSource.none}, resolved by operator ${summary.resolvedByOperator}, review ${summary.review}`,
      );
    });
  });

const reportCommand = program.command('report').description('reports for finance: `report daily`');
reportCommand
  .command('daily')
  .description('per portal and tenant, one Stockholm day: orders confirmed and their total (as the invoice export gives them), orders rejected and unroutable (S&P: the receipts\' levererad and avvisad lines)')
  .option('--date <day>', 'the day (YYYY-MM-DD; default yesterday, Stockholm time)', dayArg)
  .option('--portal <portal>', 'only this portal')
  .option('--json', 'JSON lines instead of a table')
  .action(async (o: { date?: string; portal?: string; json?: boolean }) => {
    const portal = portalArg(o.portal);
    const day = o.date ?? previousStockholmDay();
    const { dailyReport } = await import('../finance/daily-report.js');
    await withDatabase(async (database) => {
      const rows = await dailyReport(database, { from: day, to: day, ...(portal ? { portal } : {}) });
      if (o.json) {
        for (const r of rows) console.log(JSON.stringify(r));
        return;
      }
      console.log(['day'.padEnd(10), 'portal'.padEnd(8), 'tenant'.padEnd(12), 'confirmed'.padStart(9), 'total (SEK)'.padStart(16), 'rejected'.padStart(8), 'unroutable'.padStart(10)].join('  '));
      for (const r of rows) {
        console.log([r.day, r.portal.padEnd(8), r.tenant.padEnd(12), String(r.confirmed).padStart(9), formatOreSwedish(r.confirmedTotalOre).padStart(16), String(r.rejected).padStart(8), String(r.unroutable).padStart(10)].join('  '));
      }
      if (rows.length === 0) console.log(`(no outcomes on ${day})`);
    });
  });

const retentionCommand = program.command('retention').description('retention of personal data, S&P files and records: `retention run`');
retentionCommand
  .command('run')
  .description('run retention now (the daemon runs it daily): remove the personal data of orders resting in an outcome past retention.personalDataDays, delete S&P files past retention.fileDays and records past retention.recordYears. Audited')
  .option('--dry-run', 'only count what would be removed')
  .option('--json', 'the summary as JSON')
  .action((o: { dryRun?: boolean; actor?: string; json?: boolean }) => withServices(async (s) => {
    const { runRetentionExclusive } = await import('../privacy/retention.js');
    const summary = await runRetentionExclusive(
      { database: s.database, config: s.config, logger: s.logger, redis: s.redis, prefix: s.config.redis.prefix },
      { dryRun: o.dryRun ?? false, actor: actor().actor },
    );
    if (!summary) throw new PartnerdError('PD_BUSY', 'a retention run is going on elsewhere');
    if (o.json) {
      console.log(JSON.stringify(summary, null, 2));
      return;
    }
    const verb = summary.dryRun ? 'would remove' : 'removed';
    const states = (c: { byState: Record<string, number | undefined> }) => Object.entries(c.byState).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
    console.log(`personal data: ${verb} from ${summary.personalData.total} order(s) unchanged since ${summary.personalData.cutoff} (${states(summary.personalData)})`);
    console.log(`records: ${summary.dryRun ? 'would delete' : 'deleted'} ${summary.records.total} last changed before ${summary.records.cutoff} (${states(summary.records)})`);
    if (summary.files) console.log(`S&P files: ${summary.dryRun ? 'would delete' : 'deleted'} ${summary.files.deleted.length} written before ${summary.files.cutoff}, kept ${summary.files.kept}${summary.files.deleted.length ? `: ${summary.files.deleted.join(', ')}` : ''}`);
  }));

program
  .command('erase [key]')
  .description('erase personal data on request (GDPR art. 17): `erase --personnummer X` (any form; `-` reads it from stdin, keeping it out of the shell history) finds the person\'s orders, `erase <key>` one order. Personal fields go, financial ones stay; the S&P archive and rejected files lose the rows. Live or in-flight orders are refused (exit 1). Audited')
  .option('--personnummer <number>', 'the person\'s personnummer or samordningsnummer, or - to read it from stdin')
  .requiredOption('--reason <text>', 'why (the request\'s reference; kept in the audit trail: no personal data)')
  .option('--dry-run', 'only show what would be erased')
  .option('--json', 'the result as JSON')
  .action(async (key: string | undefined, o: { personnummer?: string; reason: string; actor?: string; dryRun?: boolean; json?: boolean }) => {
    if ((key === undefined) === (o.personnummer === undefined)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give either an order key or --personnummer');
    const personnummer = o.personnummer === '-' ? (await readStdin()).trim() : o.personnummer;
    const { erase } = await import('../privacy/erasure.js');
    await withServices(async (s) => {
      const result = await erase(
        { database: s.database, ledger: s.ledger, config: s.config, logger: s.logger, redis: s.redis },
        { target: personnummer !== undefined ? { personnummer } : { key: key! }, reason: o.reason, actor: actor().actor, dryRun: o.dryRun ?? false },
      );
      if (result.refused > 0) process.exitCode = 1;
      if (o.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const would = result.dryRun ? 'would erase' : 'erased';
      if (result.orders.length === 0) console.log('no order in the ledger holds personal data of this person');
      for (const r of result.orders) console.log(r.outcome === 'erased' ? `${would} ${r.key} (${r.state})` : `refused ${r.key}: ${r.why}`);
      for (const f of result.files ?? []) {
        if (f.outcome === 'pending') console.log(`refused ${f.file}: in the S&P inbox, not read yet (${f.rows} row(s)): run again after the next scan`);
        else console.log(`${result.dryRun ? `would ${f.outcome === 'deleted' ? 'delete' : 'rewrite'}` : f.outcome} ${f.file} (${f.rows} row(s))`);
      }
    });
  });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseIntArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
}
function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}
function parseRate(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a number from 0 to 1');
  return n;
}

/** A listener that could not be opened (the port is taken): one line naming the address. */
function listenError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES' || e?.code === 'EADDRNOTAVAIL') {
    const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : 'the address is not available here';
    return new PartnerdError('PD_LISTEN_FAILED', `${e.address ?? '?'}:${e.port ?? '?'}: ${why}`);
  }
  return err;
}

/**
 * Every failure is one line on stderr and a non-zero exit, never a stack trace (PARTNERD_DEBUG=1
 * or LOG_LEVEL=debug prints it for a bug report): 2 when the input was invalid, 1 otherwise.
 */
program.parseAsync(process.argv).catch((err: unknown) => {
  if (process.env.PARTNERD_DEBUG || loaded?.log.level === 'debug' || loaded?.log.level === 'trace') console.error(err);
  if (isPartnerdError(err)) {
    console.error(`partnerd: ${err.message}`);
    process.exit(err.code === 'PD_ORDER_INVALID' ? EXIT_INVALID : 1);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`partnerd: ${message.split('\n')[0]}`);
  process.exit(1);
});
