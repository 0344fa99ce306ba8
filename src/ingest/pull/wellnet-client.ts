import type { PortalsConfig } from '../../config/schema.js';
import { PortalConnection, PortalHttpError, failureFor, jsonOf } from './portal-http.js';

/**
 * Wellnet's order API (shared/portals/wellnet.md): pages of orders after an opaque cursor, and the
 * delivery acknowledgement. Bearer token on every call; the token is only ever put in the
 * Authorization header (never in a URL, a message or a log line).
 */

export type WellnetSection = NonNullable<PortalsConfig['wellnet']>;

export interface WellnetPage {
  /** Raw order payloads, one per element (the adapter reads each). */
  orders: unknown[];
  /** Opaque; null when the portal gave none (then the stored cursor stays). */
  nextCursor: string | null;
  hasMore: boolean;
}

export type WellnetAcknowledgement =
  | { status: 'delivered'; supplierOrderNumber: string; invoiceNumber: string; ocr: string }
  | { status: 'rejected'; reason: string };

export class WellnetClient {
  private readonly http: PortalConnection;
  private readonly token: string;

  constructor(section: Pick<WellnetSection, 'baseUrl' | 'token' | 'timeoutMs'>) {
    this.http = new PortalConnection('wellnet', section.baseUrl, section.timeoutMs);
    this.token = section.token;
  }

  private headers(json: boolean): Record<string, string> {
    return {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
      ...(json ? { 'content-type': 'application/json' } : {}),
    };
  }

  /** One page. Throws PortalHttpError for anything but a 200 with the documented shape. */
  async fetchOrders(after: string | undefined, limit: number): Promise<WellnetPage> {
    const q = new URLSearchParams();
    if (after !== undefined && after !== '') q.set('after', after);
    q.set('limit', String(limit));
    const res = await this.http.request('poll', { method: 'GET', path: `/api/v1/orders?${q}`, headers: this.headers(false) });
    if (res.status !== 200) throw failureFor('wellnet', 'poll', res);
    const body = jsonOf('wellnet', 'poll', res) as Record<string, unknown> | null;
    const orders = body?.orders;
    const nextCursor = body?.nextCursor ?? null;
    const hasMore = body?.hasMore;
    if (!Array.isArray(orders) || (nextCursor !== null && typeof nextCursor !== 'string') || typeof hasMore !== 'boolean') {
      throw new PortalHttpError('wellnet', 'protocol', 'wellnet poll: the page does not have orders[], nextCursor and hasMore', res.status);
    }
    return { orders, nextCursor, hasMore };
  }

  /**
   * Tells Wellnet the outcome of order `id`. Resolves with the HTTP status when it counts as done
   * (2xx, or 409: already acknowledged); throws PortalHttpError otherwise.
   */
  async acknowledge(id: string, body: WellnetAcknowledgement): Promise<number> {
    const res = await this.http.request('delivery', {
      method: 'POST',
      path: `/api/v1/orders/${encodeURIComponent(id)}/delivery`,
      headers: this.headers(true),
      body: JSON.stringify(body),
    });
    if ((res.status >= 200 && res.status < 300) || res.status === 409) return res.status;
    throw failureFor('wellnet', 'delivery', res);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
