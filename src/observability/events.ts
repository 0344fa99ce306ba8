/**
 * The catalogue of every structured log event partnerd writes: its name, level, fields, whether a
 * human must act on it (`alert: true`), and what it means. It is the contract with the log
 * dashboards and the alerting: `logEvent` (log-event.ts) only accepts names and fields declared
 * here, a test checks the source against it, and docs/events.md is generated from it
 * (`npm run docs:events`).
 *
 * Fields carry ids, states, counts and money, never personal data (names, personnummer, e-mail,
 * phones, addresses) or secrets. `redact: false` marks the hot-path order events whose fields are
 * all such ids: pino's redaction (the safety net for careless fields, ~50 µs a line) is skipped
 * for them; every other event keeps it.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A field's kind; a trailing `?` makes it optional. */
type Kind = 'string' | 'number' | 'boolean' | 'string[]' | 'number[]' | 'object' | 'error';
export type FieldSpec = Kind | `${Kind}?`;

type KindType<K> = K extends 'string' ? string
  : K extends 'number' ? number
  : K extends 'boolean' ? boolean
  : K extends 'string[]' ? readonly string[]
  : K extends 'number[]' ? readonly number[]
  : K extends 'error' ? unknown
  : object;

export interface EventSpec {
  /** The level the line is written at; a function when it depends on the fields (documented in `levelNote`). */
  readonly level: LogLevel | ((fields: Record<string, unknown>) => LogLevel);
  readonly levelNote?: string;
  /** A human must act: dashboards and alert rules pick these up (`alert: true` on the line). */
  readonly alert: boolean;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** What happened, and for alerts what to do. */
  readonly summary: string;
  /** false: the fields are a fixed whitelist of ids and money, so the line skips redaction (hot path). */
  readonly redact?: false;
}

/** The fields every order event carries (ids and money only). */
const ORDER_KEY = { tenant: 'string', portal: 'string', ordernr: 'string' } as const;
/** What the worker knows after a BRP call. */
const BRP_CALL = { attempt: 'number', durationMs: 'number' } as const;

export const EVENTS = {
  // ---- orders: one line per outcome (counted in partnerd_orders_total{outcome})
  'order.accepted': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, state: 'string', requestId: 'string?' },
    summary: 'Stored in the ledger and queued for BRP. `requestId` ties a pushed order to its `ingest.request` line.',
  },
  'order.duplicate': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, state: 'string?', requestId: 'string?' },
    summary: 'The order key or the portal order id is known already; nothing new was queued. `state` is the existing order\'s.',
  },
  'order.unroutable': {
    level: 'warn', alert: true,
    fields: { tenant: 'string', portal: 'string', ordernr: 'string', reason: 'string', requestId: 'string?' },
    summary: 'Kept as `unroutable` (tenant `~`): the venue or an article is not in the config. Add the mapping, restart, then `partnerd reroute ~:<portal>:<ordernr>`.',
  },
  'order.confirmed': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, brpOrderNumber: 'string?', invoiceNumber: 'string?', ocr: 'string?', amountOre: 'number?', dueDate: 'string?' },
    summary: 'BRP created the order; its numbers, the amount in öre and the due date are recorded.',
  },
  'order.confirmed_unparsed': {
    level: 'warn', alert: true, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, httpStatus: 'number?', reason: 'string' },
    summary: 'BRP answered 2xx with a body partnerd cannot read: recorded as confirmed with `review` set and the raw body kept; never sent again. Look it up in BRP (`partnerd show <key>`) and record its numbers.',
  },
  'order.rejected': {
    level: 'warn', alert: true, redact: false,
    fields: { ...ORDER_KEY, attempt: 'number?', durationMs: 'number?', httpStatus: 'number?', brpErrorCode: 'number?', reason: 'string?', requestId: 'string?' },
    summary: 'BRP answered `<errors>` (`brpErrorCode`), or partnerd refused a pull/file order as invalid (`reason`). Fix the cause, then `partnerd requeue <key>`.',
  },
  'order.retrying': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, httpStatus: 'number?', reason: 'string' },
    summary: 'A transient failure (5xx, refused, DNS, connect timeout); BullMQ runs it again after back-off.',
  },
  'order.throttled': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, httpStatus: 'number?', reason: 'string' },
    summary: 'BRP answered 429 (or 503 with Retry-After): the tenant\'s queue waits that long, no attempt is used.',
  },
  'order.in_doubt': {
    level: 'warn', alert: true, redact: false,
    fields: { ...ORDER_KEY, attempt: 'number', durationMs: 'number?', reason: 'string' },
    summary: 'The request left and no answer came: BRP may have created it. Check in BRP; found → `partnerd resolve <key> --brp-order N`, not found → `partnerd requeue <key>`.',
  },
  'order.dead': {
    level: 'error', alert: true, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, httpStatus: 'number?', reason: 'string' },
    summary: 'Transient failures used up every attempt. Once BRP is reachable again: `partnerd requeue <key>`.',
  },
  'order.requeued': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, state: 'string', reason: 'string', actor: 'string?' },
    summary: 'An operator sent a dead, rejected or in-doubt order again (`reason`: the state it had).',
  },
  'order.resolved': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, state: 'string', brpOrderNumber: 'string', invoiceNumber: 'string?', ocr: 'string?', actor: 'string?' },
    summary: 'An operator recorded an in-doubt order as confirmed with the numbers found in BRP, or gave a confirmed order under review its numbers.',
  },
  'order.enqueue_deferred': {
    level: 'warn', alert: false, redact: false,
    fields: { ...ORDER_KEY, reason: 'string' },
    summary: 'The order is committed to the ledger (accepted), but its BullMQ job could not be added (Redis unreachable): the reconciler adds it once Redis answers.',
  },
  'order.ledger_unavailable': {
    level: 'warn', alert: false, redact: false,
    fields: { ...ORDER_KEY },
    summary: 'The worker could not reach PostgreSQL before calling BRP: nothing was sent, no attempt used; the worker holds for a second and tries again.',
  },
  'order.unrecorded': {
    level: 'error', alert: true, redact: false,
    fields: {
      ...ORDER_KEY, state: 'string', attempt: 'number', attemptClass: 'string', httpStatus: 'number?', durationMs: 'number?',
      brpOrderNumber: 'string?', invoiceNumber: 'string?', ocr: 'string?', amountOre: 'number?',
    },
    summary: 'BRP answered, but PostgreSQL stayed unreachable for the whole lock time, so the outcome (`state`) could not be recorded. The order becomes in_doubt: with BRP\'s numbers from this line, `partnerd resolve <key> --brp-order N --invoice N --ocr N`.',
  },
  'order.held': {
    level: 'info', alert: false, redact: false,
    fields: { ...ORDER_KEY, ...BRP_CALL, reason: 'string' },
    summary: 'The call failed because the tenant\'s BRP is unreachable and the tenant is held (`tenant.unreachable`): the order waits with the others, no attempt spent.',
  },
  'order.resent': {
    level: 'warn', alert: false, redact: false,
    fields: { ...ORDER_KEY, interruptedAttempt: 'number', reason: 'string' },
    summary: 'Policy `inDoubtPolicy: retry`: an order whose attempt got no answer (`interruptedAttempt`) is sent again. BRP may have created it already: a duplicate is possible, which the operator accepted by choosing this policy.',
  },
  'order.reconciled': {
    level: 'warn', alert: false, redact: false,
    fields: { ...ORDER_KEY, state: 'string' },
    summary: 'A live order had no BullMQ job (a crash between record and enqueue, or a job BullMQ gave up on); the job was re-added.',
  },

  // ---- tenants (BRP instances)
  'tenant.paused': {
    level: 'error', alert: true,
    fields: { tenant: 'string', httpStatus: 'number?', reason: 'string', action: 'string' },
    summary: 'BRP refused the partner key or our IP (401/403): the tenant\'s submissions wait, no attempts are used. Fix the key or allow-list; the auth probe resumes it, or `partnerd resume tenant <tenant>`.',
  },
  'tenant.unreachable': {
    level: 'error', alert: true,
    fields: { tenant: 'string', reason: 'string' },
    summary: 'The tenant\'s BRP cannot be reached (refused, DNS, connect timeouts, 5xx, or no answers after sending): its orders wait, no attempts are spent, and a probe (which can never create an order) asks again with growing intervals; the first answer resumes it and the backlog drains at the rate limit. Look into BRP\'s availability; if it is back and the probe has not noticed yet: partnerd resume tenant <tenant>.',
  },
  'tenant.resumed': {
    level: 'info', alert: false,
    fields: { tenant: 'string', by: 'string' },
    summary: 'A paused tenant was resumed (`by`: operator or probe).',
  },
  'tenant.probe': {
    level: 'info', alert: false,
    fields: { tenant: 'string', verdict: 'string', kind: 'string' },
    summary: 'The probe of a held tenant ran (`kind`: auth or unreachable; `verdict`: accepted, refused or unreachable).',
  },

  // ---- the daemon
  'daemon.started': {
    level: 'info', alert: false,
    fields: { tenants: 'string[]', portals: 'string[]', portalsOff: 'string[]', ingestUrl: 'string?', adminUrl: 'string?' },
    summary: 'Workers, reconciler, probe and the configured ingest paths are running. `portals`: the portals taken in; `portalsOff`: those whose section says `enabled: false` (their variables were not read).',
  },
  'daemon.stopping': {
    level: 'info', alert: false,
    fields: { reason: 'string', graceMs: 'number' },
    summary: 'SIGTERM/SIGINT: ingest stops, in-flight BRP calls get `graceMs` to finish; /readyz answers 503 from now on.',
  },
  'daemon.grace_expired': {
    level: 'warn', alert: false,
    fields: {},
    summary: 'Calls still in flight at the end of the grace period were abandoned; their attempts become in-doubt on the next run.',
  },
  'daemon.stopped': {
    level: 'info', alert: false,
    fields: { reason: 'string' },
    summary: 'Everything is closed.',
  },
  'daemon.close_stuck': {
    level: 'warn', alert: false,
    fields: { part: 'string', waitedMs: 'number' },
    summary: 'A part of the shutdown (`part`: the workers, a Redis connection, a listener, the database pool) did not close within `waitedMs`: it was cut off and the shutdown went on. Usually a store that stopped answering; the orders are safe (an abandoned call is in doubt on the next run).',
  },
  'daemon.close_failed': {
    level: 'warn', alert: false,
    fields: { part: 'string', err: 'error' },
    summary: 'Closing a part of the daemon (`part`) failed; the shutdown went on.',
  },
  'daemon.stop_stuck': {
    level: 'error', alert: true,
    fields: { waitedMs: 'number' },
    summary: 'The shutdown did not finish within the grace period and the bounded close steps: the process exits with 1 instead of hanging. Find the part in the `daemon.close_stuck` lines before (usually a store that stopped answering). Calls that were in flight are in doubt after the next start: `partnerd orders --state in_doubt` lists them.',
  },
  'daemon.stop_failed': {
    level: 'error', alert: false,
    fields: { err: 'error' },
    summary: 'Shutting down failed; the process exits with 1.',
  },
  'reconcile.done': {
    level: 'info', alert: false,
    fields: { repaired: 'number' },
    summary: 'A reconciler pass gave `repaired` live orders the BullMQ job they were missing.',
  },
  'reconcile.error': {
    level: 'error', alert: false,
    fields: { err: 'error', why: 'string?' },
    summary: 'A reconciler pass failed (usually Redis); the next pass tries again.',
  },
  'probe.error': {
    level: 'error', alert: false,
    fields: { err: 'error' },
    summary: 'An auth-probe pass failed; the next pass tries again.',
  },
  'worker.error': {
    level: 'error', alert: false,
    fields: { tenant: 'string', err: 'error' },
    summary: 'The tenant\'s BullMQ worker reported an error (usually its Redis connection).',
  },
  'redis.error': {
    level: 'error', alert: false,
    fields: { err: 'object' },
    summary: 'The Redis connection failed (`err.code`), logged once per outage: intake still accepts (the ledger has the orders), workers wait; their jobs are added when it is back.',
  },
  'redis.ready': {
    level: 'info', alert: false,
    fields: {},
    summary: 'Redis answers again after an outage.',
  },
  'redis.data_lost': {
    level: 'warn', alert: false,
    fields: {},
    summary: 'Redis no longer holds partnerd\'s queues (a restart without persistence, a failover, a FLUSHALL): every live order is re-queued from the ledger at once. Nothing is lost; look into why Redis lost its data.',
  },

  // ---- personal data (docs/personal-data.md)
  'retention.run': {
    level: 'info', alert: false,
    fields: {
      dryRun: 'boolean', actor: 'string', personalDataRemoved: 'number', personalDataByState: 'object',
      recordsDeleted: 'number', recordsByState: 'object', filesDeleted: 'number?', filesKept: 'number?',
    },
    summary: 'A retention run: personal data stripped from orders past `retention.personalDataDays`, records past `recordYears` deleted, S&P files past `fileDays` deleted (counts only).',
  },
  'privacy.erasure': {
    level: 'info', alert: false,
    fields: { dryRun: 'boolean', by: 'string', actor: 'string', erased: 'string[]', refused: 'string[]', files: 'string[]?' },
    summary: 'An erasure request (GDPR art. 17) was carried out: the order keys erased and refused (live orders) and the S&P files touched; never the personnummer or its hash.',
  },

  // ---- the ledger's database
  'database.connection_lost': {
    level: 'warn', alert: false,
    fields: { code: 'string?', reason: 'string' },
    summary: 'An idle PostgreSQL connection broke (a restart, a failover); the pool connects again on the next query.',
  },
  'database.migrated': {
    level: 'info', alert: false,
    fields: { applied: 'string[]' },
    summary: 'Migrations were applied to the ledger\'s schema (under the advisory lock: one replica migrates, the others wait).',
  },
  'database.migration_warning': { level: 'warn', alert: false, fields: { reason: 'string' }, summary: 'node-pg-migrate warned while migrating.' },
  'database.migration_error': { level: 'error', alert: false, fields: { reason: 'string' }, summary: 'node-pg-migrate failed; the daemon does not start.' },

  // ---- push ingest (Benify, Actiway)
  'ingest.listening': {
    level: 'info', alert: false,
    fields: { host: 'string', port: 'number', portals: 'string[]' },
    summary: 'The push server is listening.',
  },
  'ingest.closed': { level: 'info', alert: false, fields: {}, summary: 'The push server is closed.' },
  'ingest.close_failed': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'Closing the push server failed.' },
  'ingest.auth_failures': {
    level: 'error', alert: true,
    fields: { realm: 'string', client: 'string', failures: 'number', maxFailures: 'number', windowSeconds: 'number', blockedSeconds: 'number' },
    summary: 'A client address failed authentication at a push portal (`realm`) more than `maxFailures` times in `windowSeconds`: it gets 429 for `blockedSeconds`, the right credentials included. Credential guessing, or a portal sending a stale secret: Ask the portal whether it is theirs; if not, block the address in front of partnerd.',
  },
  'ingest.connections_refused': {
    level: 'warn', alert: false,
    fields: { limit: 'string', client: 'string?', maxConnections: 'number?', maxConnectionsPerClient: 'number?' },
    summary: 'Push connections over the total (`limit: total`) or per-address cap (`limit: client`) were closed at once; once per episode.',
  },
  'ingest.request': {
    level: (f) => (typeof f.status === 'number' && f.status >= 500 ? 'error' : f.portal === undefined ? 'debug' : 'info'),
    levelNote: 'error for a 5xx, debug for a request that reached no portal (404s, scanners), else info',
    alert: false,
    fields: {
      requestId: 'string', method: 'string', route: 'string', portal: 'string?', ordernr: 'string?', outcome: 'string?',
      reason: 'string?', status: 'number', elapsedMs: 'number',
    },
    summary: 'One line per push request (counted in partnerd_ingest_requests_total): the route pattern, never the URL, headers or body. `requestId` is also in the `x-request-id` response header and on the `order.*` line it led to.',
  },

  // ---- the admin listener
  'admin.listening': {
    level: 'info', alert: false,
    fields: { host: 'string', port: 'number' },
    summary: 'The admin listener (/healthz, /readyz, /metrics) is listening.',
  },
  'admin.closed': { level: 'info', alert: false, fields: {}, summary: 'The admin listener is closed.' },
  'admin.close_failed': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'Closing the admin listener failed.' },
  'admin.metrics_failed': {
    level: 'warn', alert: false,
    fields: { reason: 'string' },
    summary: 'Reading the shared state for /metrics failed or timed out: the scrape has the process metrics and `partnerd_shared_state_up 0`.',
  },

  // ---- operators' actions (admin API, console, CLI): the log side of the audit trail
  'admin.requeue': {
    level: 'info', alert: false,
    fields: { ...ORDER_KEY, actor: 'string', via: 'string', fromState: 'string', toState: 'string', reason: 'string?' },
    summary: 'An operator re-queued one order (`via`: cli, api or console). The same entry is in the order\'s audit trail.',
  },
  'admin.bulk_requeue': {
    level: 'info', alert: false,
    fields: {
      actor: 'string', via: 'string', dryRun: 'boolean', states: 'string[]', tenant: 'string?', portal: 'string?', since: 'string?', until: 'string?',
      count: 'number', withoutPayload: 'number?', reason: 'string?', durationMs: 'number?',
    },
    summary: 'An operator re-queued every order matching a filter (`count` orders, each with its own audit row and `order.requeued` line), or asked what that would do (`dryRun: true`, nothing changed).',
  },
  'admin.resolve': {
    level: 'info', alert: false,
    fields: { ...ORDER_KEY, actor: 'string', via: 'string', fromState: 'string', toState: 'string', reason: 'string', brpOrderNumber: 'string', invoiceNumber: 'string?', ocr: 'string?' },
    summary: 'An operator recorded BRP\'s numbers for an in-doubt order (now confirmed) or a confirmed order under review.',
  },
  'admin.amend': {
    level: 'info', alert: false,
    fields: { ...ORDER_KEY, actor: 'string', via: 'string', fromState: 'string', toState: 'string', reason: 'string', changed: 'string[]', continuesAs: 'string?' },
    summary: 'An operator replaced the order of a rejected, dead or unroutable order (validated like intake, a new XSD proof) and queued it; `changed` names the fields, never their values.',
  },
  'admin.reroute': {
    level: 'info', alert: false,
    fields: { ...ORDER_KEY, actor: 'string', via: 'string', fromState: 'string', outcome: 'string', continuesAs: 'string?', reason: 'string?' },
    summary: 'An operator routed a portal order again with the current config (`outcome`: accepted, duplicate, unroutable or rejected).',
  },
  'admin.resume_tenant': {
    level: 'info', alert: false,
    fields: { actor: 'string', via: 'string', tenant: 'string', wasPaused: 'boolean', reason: 'string?' },
    summary: 'An operator resumed a tenant paused after BRP refused its key.',
  },
  'admin.resume_portal': {
    level: 'info', alert: false,
    fields: { actor: 'string', via: 'string', portal: 'string', wasStopped: 'boolean', notifyWasStopped: 'boolean', reason: 'string?' },
    summary: 'An operator resumed polling and notifying a pull portal.',
  },
  'admin.export_invoices': {
    level: 'info', alert: false,
    fields: {
      actor: 'string', via: 'string', from: 'string', to: 'string', portal: 'string?', tenant: 'string?', format: 'string', excel: 'boolean',
      outcome: 'string', rows: 'number?', totalIncVatOre: 'number?', durationMs: 'number', reason: 'string?',
    },
    summary: 'An operator downloaded the invoice export (admin API or console): the range and filters, and how it ended (`outcome`: complete with its `rows` and total, aborted when the reader went away, failed with the `reason`). No personal data is in the file or the line.',
  },
  'admin.login': {
    level: 'info', alert: false,
    fields: { actor: 'string', client: 'string' },
    summary: 'An operator logged in to the console with the named token.',
  },
  'admin.logout': { level: 'info', alert: false, fields: { actor: 'string' }, summary: 'An operator logged out of the console.' },
  'admin.auth_failures': {
    level: 'error', alert: true,
    fields: { realm: 'string', client: 'string', failures: 'number', maxFailures: 'number', windowSeconds: 'number', blockedSeconds: 'number' },
    summary: 'A client address failed to authenticate at the admin API or console (`realm`) more than `maxFailures` times in `windowSeconds`: it gets 429 for `blockedSeconds`, the right token included. If an operator\'s script holds a stale token, give it the current one (`admin.tokens`); otherwise someone is guessing tokens on the operators\' listener: block the address in front of it, and check what was done with `partnerd show <key>` (the audit trail).',
  },
  'admin.request_failed': {
    level: 'error', alert: false,
    fields: { method: 'string', route: 'string', status: 'number', code: 'string?', reason: 'string' },
    summary: 'An admin API or console request failed on partnerd\'s side (5xx); `reason` is the error, never the request body.',
  },

  // ---- pull ingest (Wellnet, Epassi) and the outcome notifier
  'pull.started': {
    level: 'info', alert: false,
    fields: { portals: 'string[]', schedules: 'object' },
    summary: 'Polling is scheduled and the notifier runs.',
  },
  'pull.stopped': { level: 'info', alert: false, fields: {}, summary: 'Polling and the notifier are stopped.' },
  'pull.stop_failed': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'Stopping pull ingest failed.' },
  'portal.poll': {
    level: 'info', alert: false,
    fields: {
      portal: 'string', pages: 'number', orders: 'number', accepted: 'number', duplicate: 'number', unroutable: 'number',
      rejected: 'number', skipped: 'number', cursorAdvanced: 'boolean?',
    },
    summary: 'A successful poll (every page read, every order stored); recorded as the portal\'s last successful poll.',
  },
  'portal.poll_skipped': {
    level: 'debug', alert: false,
    fields: { portal: 'string', reason: 'string', failures: 'number?', retryAt: 'string?' },
    summary: 'A scheduled poll did not run: the portal is stopped, or inside its back-off pause.',
  },
  'portal.stopped': {
    level: 'error', alert: true,
    fields: {
      portal: 'string', httpStatus: 'number?', reason: 'string', action: 'string', pages: 'number', orders: 'number', accepted: 'number',
      duplicate: 'number', unroutable: 'number', rejected: 'number', skipped: 'number', cursorAdvanced: 'boolean?',
    },
    summary: 'The portal refused our credentials while polling (401/403): polling stops. Fix the token or client credentials, then `partnerd resume portal <portal>`.',
  },
  'portal.backoff': {
    level: 'warn', alert: false,
    fields: {
      portal: 'string', kind: 'string', httpStatus: 'number?', code: 'string?', failures: 'number', retryAt: 'string',
      pages: 'number', orders: 'number', accepted: 'number', duplicate: 'number', unroutable: 'number', rejected: 'number', skipped: 'number',
      cursorAdvanced: 'boolean?',
    },
    summary: 'A poll failed with 429, 5xx, a network error or an unusable answer; scheduled polls pause until `retryAt`.',
  },
  'portal.poll_failed': {
    level: 'error', alert: false,
    fields: {
      portal: 'string', reason: 'string', pages: 'number', orders: 'number', accepted: 'number', duplicate: 'number', unroutable: 'number',
      rejected: 'number', skipped: 'number', cursorAdvanced: 'boolean?',
    },
    summary: 'A poll failed on our side (e.g. Redis); the cursor did not move and the next run reads the page again.',
  },
  'portal.protocol': {
    level: 'warn', alert: false,
    fields: { portal: 'string', reason: 'string' },
    summary: 'The portal answered something the contract does not allow; the next run continues.',
  },
  'portal.resumed': {
    level: 'info', alert: false,
    fields: { portal: 'string', wasStopped: 'boolean', notifyWasStopped: 'boolean' },
    summary: '`partnerd resume portal`: polling and notifying may run again (the cursor is kept).',
  },
  'portal.order_not_recorded': {
    level: 'error', alert: true,
    fields: { portal: 'string', ordernr: 'string', errors: 'number' },
    summary: 'A pull order was neither stored nor rejected (a bug): it is not in the ledger. Look it up in the portal and enter it with `partnerd submit`.',
  },
  'portal.order_unidentifiable': {
    level: 'warn', alert: true,
    fields: { portal: 'string', problems: 'string' },
    summary: 'A pull payload without a readable order id was skipped (nothing can be recorded or acknowledged). Ask the portal about it; enter it with `partnerd submit` if it is a real order.',
  },
  'portal.notified': {
    level: 'info', alert: false,
    fields: { portal: 'string', tenant: 'string', ordernr: 'string', key: 'string', outcome: 'string', httpStatus: 'number', attempts: 'number' },
    summary: 'The portal has the order\'s outcome (2xx, or 409: it had it already).',
  },
  'portal.notify_failed': {
    level: 'warn', alert: false,
    fields: {
      key: 'string', portal: 'string?', ordernr: 'string?', attempt: 'number', retryAt: 'string', reason: 'string',
      kind: 'string?', httpStatus: 'number?', code: 'string?',
    },
    summary: 'Telling the portal an outcome failed; it is due again at `retryAt` (never dropped).',
  },
  'portal.notify_stopped': {
    level: 'error', alert: true,
    fields: { portal: 'string', httpStatus: 'number?', reason: 'string', action: 'string' },
    summary: 'The portal refused our credentials when told an outcome (401/403): notifying that portal stops, outcomes wait in the backlog. Fix the token or client credentials, then `partnerd resume portal <portal>`.',
  },
  'portal.notify_orphan': {
    level: 'warn', alert: false,
    fields: { key: 'string' },
    summary: 'A due notification whose order is not in the ledger; dropped from the queue.',
  },
  'portal.notify_not_final': {
    level: 'info', alert: false,
    fields: { key: 'string', state: 'string' },
    summary: 'A due notification whose order moved on (re-queued); it is queued again when the order reaches an outcome.',
  },
  'portal.notify_error': {
    level: 'error', alert: false,
    fields: { reason: 'string' },
    summary: 'A notifier run failed (usually Redis); the next run tries again.',
  },

  // ---- schedules (polls, S&P scans and receipts)
  'schedule.skipped': {
    level: 'info', alert: false,
    fields: { schedule: 'string', reason: 'string' },
    summary: 'A tick was skipped because the previous run (on any replica) is still going.',
  },
  'schedule.error': {
    level: 'error', alert: false,
    fields: { schedule: 'string', err: 'error' },
    summary: 'A scheduled run failed; the next tick tries again.',
  },

  // ---- S&P file drop
  'sop.started': {
    level: 'info', alert: false,
    fields: { schedule: 'string', receiptsSchedule: 'string' },
    summary: 'The S&P inbox scan and the receipts are scheduled.',
  },
  'sop.folders.error': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'The S&P folders could not be created.' },
  'sop.file.processed': {
    level: 'info', alert: false,
    fields: {
      file: 'string', rows: 'number', orders: 'number', accepted: 'number', duplicate: 'number', unroutable: 'number', rejected: 'number',
      movedTo: 'string?', errorsFile: 'string?',
    },
    summary: 'An inbox file was read; every valid order is stored and queued, the file archived.',
  },
  'sop.file.rejected': {
    level: 'warn', alert: false,
    fields: { file: 'string', line: 'number', reason: 'string', movedTo: 'string?' },
    summary: 'An inbox file unusable as a whole was moved to `rejected/` with an errors file for S&P.',
  },
  'sop.file.failed': {
    level: 'error', alert: false,
    fields: {
      file: 'string', err: 'object', rows: 'number', orders: 'number', accepted: 'number', duplicate: 'number', unroutable: 'number', rejected: 'number',
    },
    summary: 'An inbox file could not be processed (e.g. Redis down); it stays in the inbox for the next scan.',
  },
  'sop.order.rejected': {
    level: 'warn', alert: false,
    fields: { file: 'string', ordernr: 'string', lines: 'number[]', badLines: 'number[]' },
    summary: 'An S&P order failed validation; it is in the file\'s errors file in `rejected/` for S&P.',
  },
  'sop.receipts.written': {
    level: 'info', alert: false,
    fields: { day: 'string', file: 'string', rows: 'number' },
    summary: 'The day\'s receipts file was written to `outbox/`.',
  },

  // ---- the BRP simulator (sandbox, demo, tests)
  'simulator.listening': {
    level: 'info', alert: false,
    fields: { url: 'string', baseUrls: 'object', faults: 'object', config: 'string' },
    summary: 'The BRP simulator is listening (never an API key).',
  },
  'simulator.request': {
    level: 'debug', alert: false,
    fields: { instance: 'string', portal: 'string', ordernr: 'string?', outcome: 'string', status: 'number?', elapsedMicros: 'number' },
    summary: 'One partner-order request the simulator answered.',
  },
  'simulator.faults_replaced': { level: 'info', alert: false, fields: { faults: 'object' }, summary: 'The simulator\'s faults were replaced over HTTP.' },
  'simulator.error': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'The simulator failed on a request (answered INTERNAL_ERROR).' },
  'simulator.stopping': { level: 'info', alert: false, fields: { signal: 'string' }, summary: 'The simulator got a signal and closes.' },
  'simulator.stopped': { level: 'info', alert: false, fields: {}, summary: 'The simulator is closed.' },
  'simulator.close_failed': { level: 'error', alert: false, fields: { err: 'error' }, summary: 'The simulator did not close cleanly.' },
} as const satisfies Record<string, EventSpec>;

export type EventName = keyof typeof EVENTS;

type FieldsOf<N extends EventName> = (typeof EVENTS)[N]['fields'];
type Required<F> = { -readonly [K in keyof F as F[K] extends `${string}?` ? never : K]: KindType<F[K]> };
type Optional<F> = { -readonly [K in keyof F as F[K] extends `${string}?` ? K : never]?: KindType<F[K] extends `${infer B}?` ? B : never> | undefined };

/** The fields an event takes, typed from the catalogue. */
export type EventFields<N extends EventName> = Required<FieldsOf<N>> & Optional<FieldsOf<N>>;

export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function eventSpec(name: EventName): EventSpec {
  return EVENTS[name];
}

/** Keys pino or the logger itself writes on every line: no event may declare them as fields. */
export const RESERVED_KEYS = ['level', 'time', 'msg', 'pid', 'hostname', 'service', 'event', 'alert'] as const;
