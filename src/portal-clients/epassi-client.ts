import type { PortalsConfig } from '../config/schema.js';
import { PortalConnection, PortalHttpError, failureFor, jsonOf, type PortalResponse } from './portal-http.js';

/**
 * Epassi's purchase API (shared/portals/epassi.md) with OAuth2 client credentials.
 *
 * The access token is cached until 60 seconds before it expires (a token that lives 60 s or less
 * is used for the call it was fetched for and not kept). On a 401 from any API call a new token
 * is fetched once and that call is retried once; a second 401, or the token endpoint refusing
 * the client, is an `auth` failure. Tokens and the client secret appear only in the form body and
 * the Authorization header, never in a message or a log line.
 */

export type EpassiSection = NonNullable<PortalsConfig['epassi']>;

export type EpassiMarking =
  | { status: 'DELIVERED'; merchantReference: string; invoiceNumber: string; ocr: string }
  | { status: 'REJECTED'; reason: string };

/** Refresh this long before the token's announced expiry. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

export class EpassiClient {
  private readonly http: PortalConnection;
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;
  /** Tokens fetched by this client (for tests and the poll summary). */
  tokenFetches = 0;

  constructor(
    private readonly section: Pick<EpassiSection, 'baseUrl' | 'clientId' | 'clientSecret' | 'scope' | 'timeoutMs'>,
    options: { now?: () => number } = {},
  ) {
    this.http = new PortalConnection('epassi', section.baseUrl, section.timeoutMs);
    this.now = options.now ?? Date.now;
  }

  /** A usable token: the cached one while it is more than 60 s from expiry, else a new one. */
  async token(forceNew = false): Promise<string> {
    if (!forceNew && this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    // Concurrent callers share one token request.
    this.inflight ??= this.fetchToken().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    this.tokenFetches++;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.section.clientId,
      client_secret: this.section.clientSecret,
      scope: this.section.scope,
    });
    const res = await this.http.request('token', {
      method: 'POST',
      path: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    if (res.status !== 200) {
      // RFC 6749 §5.2: a refused client may be 400 invalid_client as well as 401. Only matched
      // for ASCII error codes (latin1 maps bytes one to one), never used as text.
      if (res.status === 400 && /"error"\s*:\s*"(invalid_client|unauthorized_client|invalid_grant)"/.test(res.body.toString('latin1'))) {
        throw new PortalHttpError('epassi', 'auth', 'epassi token: client refused (HTTP 400)', 400);
      }
      throw failureFor('epassi', 'token', res);
    }
    const body = jsonOf('epassi', 'token', res) as Record<string, unknown> | null;
    const token = body?.access_token;
    if (typeof token !== 'string' || token === '') throw new PortalHttpError('epassi', 'protocol', 'epassi token: no access_token in the answer', 200);
    const ttl = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    const fetchedAt = this.now();
    this.cached = { token, refreshAt: fetchedAt + ttl * 1000 - TOKEN_REFRESH_MARGIN_MS };
    return token;
  }

  /** Runs `call` with a token; on 401 fetches a new token once and retries once. */
  private async withToken(what: string, call: (token: string) => Promise<PortalResponse>): Promise<PortalResponse> {
    const first = await this.token();
    const res = await call(first);
    if (res.status !== 401) return res;
    // Someone else may have refreshed meanwhile; otherwise fetch a new one.
    const fresh = this.cached && this.cached.token !== first && this.now() < this.cached.refreshAt ? this.cached.token : await this.token(true);
    const again = await call(fresh);
    if (again.status === 401) {
      this.cached = undefined;
      throw new PortalHttpError('epassi', 'auth', `epassi ${what}: HTTP 401 with a new token`, 401);
    }
    return again;
  }

  private headers(token: string, json: boolean): Record<string, string> {
    return { authorization: `Bearer ${token}`, accept: 'application/json', ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  /** One page of PAID purchases as Epassi served it (read with readEpassiPage). Throws PortalHttpError for anything but a 200. */
  async fetchPurchasesPage(page: number, pageSize: number): Promise<Buffer> {
    const q = new URLSearchParams({ status: 'PAID', page: String(page), pageSize: String(pageSize) });
    const res = await this.withToken('poll', (t) => this.http.request('poll', { method: 'GET', path: `/v2/purchases?${q}`, headers: this.headers(t, false) }));
    if (res.status !== 200) throw failureFor('epassi', 'poll', res);
    return res.body;
  }

  /** Resolves with the status when it counts as done (2xx, or 409: already in that status); throws otherwise. */
  async markPurchase(purchaseId: string, body: EpassiMarking): Promise<number> {
    const res = await this.withToken('mark', (t) =>
      this.http.request('mark', { method: 'PATCH', path: `/v2/purchases/${encodeURIComponent(purchaseId)}`, headers: this.headers(t, true), body: JSON.stringify(body) }),
    );
    if ((res.status >= 200 && res.status < 300) || res.status === 409) return res.status;
    throw failureFor('epassi', 'mark', res);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

