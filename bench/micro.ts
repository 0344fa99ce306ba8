/**
 * Per-call CPU cost of the daemon's and the intake's hot spots, measured in isolation (one
 * process, nothing else running), to size the fixes bench.ts's profile points at.
 *
 *   npx tsx bench/micro.ts          → one JSON line on stdout: µs of CPU per call
 *
 * The "variant" rows are NOT partnerd code: they show what an alternative would cost
 * (a logger without redaction, a reused XML parser), so the saving of a change can be read off.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import pino from 'pino';
import { BrpClient } from '../src/brp/brp-client.js';
import { parseBrpResponse } from '../src/brp/brp-response.js';
import { OrderDocumentFactory } from '../src/brp/order-document.js';
import { buildOrderXml } from '../src/brp/order-xml.js';
import { XsdValidator } from '../src/brp/xsd-validator.js';
import type { CanonicalOrder } from '../src/domain/canonical-order.js';
import { validateOrder } from '../src/domain/validate-order.js';
import { createLogger, REDACT_PATHS } from '../src/observability/logger.js';
import { logEvent } from '../src/observability/log-event.js';
import { setMetricsRecording } from '../src/observability/metrics.js';
import { sampleOrderInput } from '../support/orders.js';
import { startSimulator, testConfig, XSD_PATH } from '../support/pipeline.js';

function measure(fn: (i: number) => unknown, iterations = 20_000): number {
  for (let i = 0; i < Math.min(2_000, iterations); i++) fn(i); // warm-up (JIT)
  const c0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn(i);
  const c = process.cpuUsage(c0);
  return Math.round(((c.user + c.system) / iterations) * 10) / 10;
}

// A real confirmation body, from the simulator, for the order the bench sends.
const input = sampleOrderInput('MICRO-1');
const v = validateOrder(input, { personnummerForm: 'short' });
if (!v.ok) throw new Error('sample order invalid');
const order: CanonicalOrder = v.order;
const sim = await startSimulator();
const tenant = testConfig({ redis: 'redis://127.0.0.1:1' }, sim.baseUrl('t1')).tenants.t1!;
const client = new BrpClient(tenant);
const documents = new OrderDocumentFactory(XsdValidator.fromFile(XSD_PATH));
const { xml, proof } = documents.renderWithProof(order);
const exchange = await client.createPartnerOrder('benify', xml);
await client.close();
await sim.close();
if (exchange.kind !== 'response' || exchange.status !== 200) throw new Error(`simulator did not confirm: ${JSON.stringify(exchange)}`);
const body = exchange.body;
const confirmation = parseBrpResponse(body);
if (confirmation.kind !== 'confirmation') throw new Error('unexpected body');
const c = confirmation.confirmation;
const confirmed = {
  tenant: order.tenant, portal: order.portal, ordernr: order.ordernr, attempt: 1, durationMs: 12,
  brpOrderNumber: c.order.number, invoiceNumber: c.invoice.number, ocr: c.invoice.ocrNumber, amountOre: c.order.sumOre, dueDate: c.invoice.dueDate,
};
const accepted = { tenant: order.tenant, portal: order.portal, ordernr: order.ordernr, state: 'queued' };
/** logEvent's line written through a logger that redacts (what order events avoid). */
const redactedLine = { event: 'order.confirmed', ...confirmed };
const withoutMetrics = (fn: () => void) => () => { setMetricsRecording(false); fn(); setMetricsRecording(true); };

// Loggers as the daemon builds them (createLogger; children as before, to compare), writing to /dev/null synchronously.
const sink = () => pino.destination({ dest: '/dev/null', sync: true });
const prodLog = createLogger({ level: 'info' }, sink()).child({ tenant: 't1' });
const noRedactLog = createLogger({ level: 'info', redact: undefined }, sink()).child({ tenant: 't1' });
const shallowRedactLog = createLogger({ level: 'info', redact: { paths: REDACT_PATHS.filter((p) => !p.startsWith('*.*.')), censor: '[redacted]' } }, sink()).child({ tenant: 't1' });

// safe-xml.ts's parser options, to compare a per-call parser with a reused one.
const parserOptions = {
  ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true,
  processEntities: true, htmlEntities: { amp: '&', apos: "'", gt: '>', lt: '<', quot: '"' } as unknown as boolean,
  ignoreDeclaration: true, ignorePiTags: true, isArray: () => false,
};
const reusedParser = new XMLParser(parserOptions);

const results = {
  date: new Date().toISOString(),
  bodyBytes: Buffer.byteLength(body),
  xmlBytes: Buffer.byteLength(xml),
  usPerCall: {
    // worker, per order
    'logEvent(order.confirmed), production logger (no redaction, counted)': measure(() => logEvent(prodLog, 'order.confirmed', confirmed)),
    'variant: same, metrics recording off': measure(withoutMetrics(() => logEvent(prodLog, 'order.confirmed', confirmed))),
    'variant: same line through the redacting logger': measure(() => prodLog.info(redactedLine, 'order.confirmed')),
    'variant: same line, logger without redact': measure(() => noRedactLog.info(redactedLine, 'order.confirmed')),
    'variant: same line, redact without *.*.x paths': measure(() => shallowRedactLog.info(redactedLine, 'order.confirmed')),
    'parseBrpResponse(confirmation)': measure(() => parseBrpResponse(body), 5_000),
    'variant: XMLValidator.validate(confirmation) alone': measure(() => XMLValidator.validate(body), 5_000),
    'variant: new XMLParser(opts).parse(confirmation)': measure(() => new XMLParser(parserOptions).parse(body), 5_000),
    'variant: reused XMLParser.parse(confirmation)': measure(() => reusedParser.parse(body), 5_000),
    'renderForSending(order, proof) (rebuild + sha256)': measure(() => documents.renderForSending(order, proof), 5_000),
    'buildOrderXml(order) (xmlbuilder2)': measure(() => buildOrderXml(order), 5_000),
    'variant: JSON.stringify(order)': measure(() => JSON.stringify(order)),
    // intake, per order
    'validateOrder(input)': measure(() => validateOrder(input, { personnummerForm: 'short' }), 5_000),
    'renderWithProof(order) (build + XSD validate + sha256)': measure(() => documents.renderWithProof(order), 2_000),
    'logEvent(order.accepted), production logger': measure(() => logEvent(prodLog, 'order.accepted', accepted)),
  },
};
process.stdout.write(`${JSON.stringify(results)}\n`);
