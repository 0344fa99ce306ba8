#!/usr/bin/env node
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import type { Services } from '../daemon/services.js';
import { PORTALS, type Portal } from '../domain/canonical-order.js';
import { formatOreSwedish } from '../domain/money.js';
import { isIsoDate, previousStockholmDay } from '../domain/stockholm-date.js';
import { isPartnerdError, PartnerdError } from '../errors.js';
import type { InvoiceFormat } from '../finance/invoice-export.js';
import { parseJsonText } from '../ingest/payload/json-text.js';
import { decodeUtf8Strict, describeUtf8Error } from '../ingest/payload/strict-utf8.js';
import type { Database } from '../ledger/database.js';
import { ORDER_STATES } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import { createLogger } from '../observability/logger.js';

/*
 * Each command loads the modules it needs when it runs (dynamic import), not all of them at
 * start: the daemon, the simulator, BullMQ, fastify and libxmljs2 together take ~60 MiB and a
 * second of CPU, which `export invoices` (streaming with flat memory) and every quick operator
 * command would otherwise pay.
 */
const admin = async (s: Services) => new (await import('../admin/admin-service.js')).AdminService(s);

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
  const { createServices } = await import('../daemon/services.js');
  const services = await createServices(cfg, cliLogger(cfg));
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** Canonical orders from an operator's file: strict UTF-8, and a syntax error by place, never quoted. */
async function readOrders(file: string): Promise<unknown[]> {
  const text = decodeUtf8Strict(await readFile(file));
  if (!text.ok) throw new PartnerdError('PD_ORDER_INVALID', `${file} is not valid UTF-8 (${describeUtf8Error(text.error)})`);
  const json = parseJsonText(text.text);
  if (!json.ok) throw new PartnerdError('PD_ORDER_INVALID', `${file} is not valid JSON${json.where ? ` (${json.where})` : ''}`);
  return Array.isArray(json.value) ? json.value : [json.value];
}

program
  .command('run')
  .description('run the daemon: BRP submission workers for every configured tenant')
  .action(async () => {
    const cfg = config();
    const logger = createLogger({ level: cfg.log.level });
    const [{ createServices }, { createDaemon }] = await Promise.all([import('../daemon/services.js'), import('../daemon/daemon.js')]);
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
  .description('enqueue canonical orders from a JSON file (one order or an array): operators\' manual entry')
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
    const [{ OrderDocumentFactory }, { XsdValidator }, { renderPortalPayload }, { validateOrder }] = await Promise.all([
      import('../brp/order-document.js'), import('../brp/xsd-validator.js'), import('../admin/render-portal-payload.js'), import('../domain/validate-order.js'),
    ]);
    const documents = new OrderDocumentFactory(XsdValidator.fromFile(cfg.xsdPath));
    if (second !== undefined) {
      if (!(PORTALS as readonly string[]).includes(first)) throw new InvalidArgumentError(`unknown portal ${first} (${PORTALS.join(', ')})`);
      const result = renderPortalPayload(cfg, documents, first as Portal, await readFile(second));
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
    if (o.state && !(ORDER_STATES as readonly string[]).includes(o.state)) throw new InvalidArgumentError(`unknown state ${o.state}`);
    await withServices(async (s) => {
      const rows = await (await admin(s)).list({ state: o.state, tenant: o.tenant, limit: o.limit });
      for (const r of rows) {
        if (o.json) console.log(JSON.stringify(r));
        else console.log([r.updatedAt, r.state.padEnd(10), r.key, r.brpOrderNumber ?? '-', r.invoiceNumber ?? '-', r.ocr ?? '-', r.sumOre ?? '-', r.lastError ?? r.brpError ?? ''].join('  '));
      }
    });
  });

program.command('show <key>').description('one order with its attempt history (personal data masked)')
  .action((key: string) => withServices(async (s) => { console.log(JSON.stringify(await (await admin(s)).show(key), null, 2)); }));

program.command('status').description('orders per state and each tenant\'s queue')
  .action(() => withServices(async (s) => {
    const service = await admin(s);
    console.log(JSON.stringify({ orders: await service.counts(), tenants: await service.tenants() }, null, 2));
  }));

program.command('requeue <key>').description('send a dead, rejected or in-doubt order again (in-doubt: only after checking BRP has no such order)')
  .action((key: string) => withServices(async (s) => { console.log(`requeued ${key} (was ${await (await admin(s)).requeue(key)})`); }));

program.command('resolve <key>').description('record an in-doubt order as confirmed, with the numbers found in BRP')
  .requiredOption('--brp-order <n>', 'BRP order number').option('--invoice <n>', 'invoice number').option('--ocr <n>', 'OCR number')
  .action((key: string, o) => withServices(async (s) => {
    await (await admin(s)).resolveConfirmed(key, { brpOrderNumber: o.brpOrder, invoiceNumber: o.invoice, ocr: o.ocr });
    console.log(`resolved ${key} as confirmed (BRP order ${o.brpOrder})`);
  }));

program.command('resume <tenant>').description('resume a tenant paused after BRP refused its key (401/403)')
  .action((tenant: string) => withServices(async (s) => {
    console.log((await (await admin(s)).resumeTenant(tenant)) ? `resumed ${tenant}` : `${tenant} was not paused`);
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
    const { createSopIngest } = await import('../ingest/file-drop/sop-ingest.js');
    console.log(await createSopIngest(s).writeReceipts(o.date));
  }));

program.command('scan <portal>').description('scan the S&P inbox now: `scan sop`')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'sop') throw new InvalidArgumentError('only sop has an inbox');
    const { createSopIngest } = await import('../ingest/file-drop/sop-ingest.js');
    const summary = await createSopIngest(s).scanOnce();
    for (const f of summary.files) console.log(`${f.file}: ${f.outcome} (${f.orders} orders: ${f.accepted} accepted, ${f.duplicate} duplicate, ${f.unroutable} unroutable, ${f.rejected} rejected)`);
    if (summary.files.length === 0) console.log('inbox empty');
  }));

program.command('poll <portal>').description('poll a pull portal now: `poll wellnet` or `poll epassi` (exit 1 unless the poll ran)')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'wellnet' && portal !== 'epassi') throw new InvalidArgumentError('wellnet or epassi');
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

program.command('resume-portal <portal>').description('resume polling and notifying a portal stopped after it refused our credentials (401/403), once they are fixed')
  .action((portal: string) => withServices(async (s) => {
    if (portal !== 'wellnet' && portal !== 'epassi') throw new InvalidArgumentError('wellnet or epassi');
    const { resumePortal } = await import('../ingest/pull/pull-ingest.js');
    const { wasStopped, notifyWasStopped } = await resumePortal(s, portal);
    const what = [wasStopped ? 'polling' : '', notifyWasStopped ? 'notifying' : ''].filter(Boolean).join(' and ');
    console.log(what ? `resumed ${what} ${portal}` : `${portal} was not stopped`);
  }));

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
  if (!(PORTALS as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown portal ${v} (${PORTALS.join(', ')})`);
  return v as Portal;
}

function dayArg(v: string): string {
  if (!isIsoDate(v)) throw new InvalidArgumentError('a real date written YYYY-MM-DD');
  return v;
}

/** Who an audited action is recorded for: --actor, else the OS user running the command. */
function actorOf(actor: string | undefined): string {
  if (actor?.trim()) return actor.trim();
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
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
    if (o.format !== 'csv' && o.format !== 'jsonl') throw new InvalidArgumentError('--format must be csv or jsonl');
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
  .option('--actor <name>', 'who runs it, for the audit (default: the OS user)')
  .option('--json', 'the summary as JSON')
  .action((o: { dryRun?: boolean; actor?: string; json?: boolean }) => withServices(async (s) => {
    const { runRetentionExclusive } = await import('../privacy/retention.js');
    const summary = await runRetentionExclusive(
      { database: s.database, config: s.config, logger: s.logger, redis: s.redis, prefix: s.config.redis.prefix },
      { dryRun: o.dryRun ?? false, actor: actorOf(o.actor) },
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
  .option('--actor <name>', 'who erases, for the audit (default: the OS user)')
  .option('--dry-run', 'only show what would be erased')
  .option('--json', 'the result as JSON')
  .action(async (key: string | undefined, o: { personnummer?: string; reason: string; actor?: string; dryRun?: boolean; json?: boolean }) => {
    if ((key === undefined) === (o.personnummer === undefined)) throw new InvalidArgumentError('give either an order key or --personnummer');
    const personnummer = o.personnummer === '-' ? (await readStdin()).trim() : o.personnummer;
    const { erase } = await import('../privacy/erasure.js');
    await withServices(async (s) => {
      const result = await erase(
        { database: s.database, ledger: s.ledger, config: s.config, logger: s.logger, redis: s.redis },
        { target: personnummer !== undefined ? { personnummer } : { key: key! }, reason: o.reason, actor: actorOf(o.actor), dryRun: o.dryRun ?? false },
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
function parseRate(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a number from 0 to 1');
  return n;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isPartnerdError(err)) {
    console.error(`partnerd: ${err.message}`);
    process.exit(err.code === 'PD_ORDER_INVALID' ? EXIT_INVALID : 1);
  }
  // One line, never a stack trace (LOG_LEVEL=debug logs the details where a logger runs).
  console.error(`partnerd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
