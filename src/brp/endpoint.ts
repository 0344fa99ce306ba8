import { PORTALS, type Portal } from '../domain/canonical-order.js';
import { PartnerdError } from '../errors.js';

/**
 * BRP's partner-order endpoint: `POST {BaseURL}/webservice/partnerorders/create{portal}order?apikey=…`
 * with the order document as body. The base URL is per customer and may carry a path
 * (`https://api.brpsystems.se/brpgog/`), with or without the trailing slash.
 *
 * The API key is kept out of URLs until the very last moment (`withApiKey`), and any URL that may
 * be logged goes through `redactedUrl` first.
 */

/** The header BRP requires on the POST. */
export const PARTNER_ORDER_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** The endpoint URL for a portal, without the API key. Throws PD_CONFIG_INVALID for an unusable base URL. */
export function partnerOrderUrl(baseUrl: string, portal: Portal): URL {
  if (!(PORTALS as readonly string[]).includes(portal)) {
    throw new PartnerdError('PD_CONFIG_INVALID', 'unknown portal for the partner-order endpoint');
  }
  let base: URL;
  try {
    base = new URL(baseUrl.trim());
  } catch {
    throw new PartnerdError('PD_CONFIG_INVALID', 'BRP base URL is not an absolute URL');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new PartnerdError('PD_CONFIG_INVALID', 'BRP base URL must be http(s)');
  }
  // The messages do not echo the URL: credentials or a key pasted into it must not reach a log.
  if (base.username !== '' || base.password !== '') {
    throw new PartnerdError('PD_CONFIG_INVALID', 'BRP base URL must not contain credentials');
  }
  if (base.search !== '' || base.hash !== '') {
    throw new PartnerdError('PD_CONFIG_INVALID', 'BRP base URL must not contain a query or fragment');
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(`webservice/partnerorders/create${portal}order`, base);
}

/** A copy of `url` with `apikey` set (the input is not modified). Throws PD_CONFIG_INVALID for an empty key. */
export function withApiKey(url: URL, apiKey: string): URL {
  if (apiKey.trim() === '') throw new PartnerdError('PD_CONFIG_INVALID', 'BRP API key is empty');
  const out = new URL(url.href);
  out.searchParams.set('apikey', apiKey);
  return out;
}

/** The URL as text for logs: every `apikey` parameter (any case) shows `***`, credentials are dropped. */
export function redactedUrl(url: URL): string {
  const out = new URL(url.href);
  out.username = '';
  out.password = '';
  const names = new Set<string>();
  for (const name of out.searchParams.keys()) if (name.toLowerCase() === 'apikey') names.add(name);
  for (const name of names) out.searchParams.set(name, '***');
  return out.href;
}
