import { Pool } from 'undici';
import type { Portal } from '../domain/canonical-order.js';
import type { TenantConfig } from '../config/schema.js';
import { scrubApiKey } from '../observability/mask.js';
import { failurePhase, parseRetryAfter, type BrpExchange } from './brp-exchange.js';
import { partnerOrderUrl, withApiKey } from './endpoint.js';
import { networkErrorCode, readCapped } from '../http/http-answer.js';

/** BRP bodies are small XML documents; anything larger is not BRP talking. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One tenant's connection to its BRP instance: an undici Pool with keep-alive, so a burst of
 * orders reuses a few TLS connections instead of opening one per order. Never throws for network
 * problems: it reports them as a BrpExchange with the phase they happened in.
 */
export class BrpClient {
  private readonly pool: Pool;
  private readonly paths: Map<Portal, string> = new Map();

  constructor(private readonly tenant: Pick<TenantConfig, 'baseUrl' | 'apiKey' | 'timeouts' | 'connections'>) {
    const origin = new URL(tenant.baseUrl).origin;
    this.pool = new Pool(origin, {
      connections: tenant.connections,
      connect: { timeout: tenant.timeouts.connectMs },
      headersTimeout: tenant.timeouts.responseMs,
      bodyTimeout: tenant.timeouts.responseMs,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      pipelining: 1,
    });
  }

  private pathFor(portal: Portal): string {
    let p = this.paths.get(portal);
    if (!p) {
      const url = withApiKey(partnerOrderUrl(this.tenant.baseUrl, portal), this.tenant.apiKey);
      p = url.pathname + url.search;
      this.paths.set(portal, p);
    }
    return p;
  }

  async createPartnerOrder(portal: Portal, xml: string): Promise<BrpExchange> {
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: this.pathFor(portal),
        headers: { 'content-type': 'application/xml; charset=utf-8', accept: 'application/xml' },
        body: xml,
      });
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      // Once a status line has arrived, BRP has decided: a body that then fails to arrive, or is over
      // the cap, must not turn a 2xx into "in doubt" (classification keeps it as confirmed, flagged
      // for review).
      let body: string;
      try {
        body = (await readCapped(res.body, MAX_RESPONSE_BYTES)).toString('utf8');
      } catch (err) {
        body = '';
        return { kind: 'response', status: res.statusCode, body, retryAfterMs, bodyError: networkErrorCode(err) };
      }
      return { kind: 'response', status: res.statusCode, body, retryAfterMs };
    } catch (err) {
      const code = networkErrorCode(err);
      return { kind: 'failure', phase: failurePhase(code), code, message: scrubApiKey((err as Error).message ?? String(err)) };
    }
  }

  /**
   * Asks BRP whether it accepts our key again without any risk of creating an order: the body is
   * an empty <order/>, which fails BRP's XSD. 401/403 means still refused; any other HTTP answer
   * means the key and IP got past authentication.
   */
  async probeAuth(): Promise<'accepted' | 'refused' | 'unreachable'> {
    const exchange = await this.createPartnerOrder('benify', '<?xml version="1.0" encoding="UTF-8"?><order/>');
    if (exchange.kind === 'failure') return 'unreachable';
    if (exchange.status === 401 || exchange.status === 403) return 'refused';
    return exchange.status >= 500 ? 'unreachable' : 'accepted';
  }

  /** Waits for the calls in flight, then closes the connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Closes the connections now; calls in flight fail (a shutdown after its grace period). */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
