import type { PortalsConfig } from '../config/schema.js';
import { PortalConnection, failureFor } from './portal-http.js';

/**
 * Wellnet's order API (shared/portals/wellnet.md): pages of orders after an opaque cursor, and the
 * delivery acknowledgement. Bearer token on every call; the token is only ever put in the
 * Authorization header (never in a URL, a message or a log line).
 */

export type WellnetSection = NonNullable<PortalsConfig['wellnet']>;

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

  /**
   * One page as Wellnet served it (read with readWellnetPage). Throws PortalHttpError for
   * anything but a 200.
   */
  async fetchOrdersPage(after: string | undefined, limit: number): Promise<Buffer> {
    const q = new URLSearchParams();
    if (after !== undefined && after !== '') q.set('after', after);
    q.set('limit', String(limit));
    const res = await this.http.request('poll', { method: 'GET', path: `/api/v1/orders?${q}`, headers: this.headers(false) });
    if (res.status !== 200) throw failureFor('wellnet', 'poll', res);
    return res.body;
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
