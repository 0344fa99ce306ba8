import { partnerOrderUrl } from '../brp/endpoint.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Config } from '../config/schema.js';
import { formatOrderKey, type FieldError, type Portal } from '../domain/canonical-order.js';
import { readPortalPayload } from '../ingest/payload/read-portal-payload.js';
import { checkRoutedOrder } from '../ingest/portal-intake.js';
import { routePortalOrder } from '../ingest/router.js';

/** One BRP order a portal payload would become (`url` never carries the API key). */
export interface RenderedOrder {
  key: string;
  tenant: string;
  url: string;
  xml: string;
}

export interface RenderProblem {
  /** Which order of the payload (its order id when it could be read, else its position). */
  order: string;
  errors: FieldError[];
}

/**
 * `ok` when every order of the payload renders. `orders` are those that would be queued for BRP,
 * `problems` the others (or the payload as a whole, order `(file)`), each with every error.
 */
export interface RenderResult {
  ok: boolean;
  orders: RenderedOrder[];
  problems: RenderProblem[];
}

/**
 * `partnerd render portal <portal> <payload-file>`: the dry run of the whole ingest path with the
 * daemon's config — without Redis or BRP. The payload is what the portal sends or serves, as
 * bytes: a Benify JSON body, an Actiway XML document, a Wellnet page, an Epassi page, an S&P CSV
 * file. It is read by readPortalPayload, the very functions the push routes, the pollers and the
 * file drop call (decoding, byte-order mark, page shape, CSV rows, XML checks, adapter), then
 * routed and checked with checkRoutedOrder as intake does. An order renders exactly when real
 * intake would queue it for BRP.
 */
export function renderPortalPayload(config: Config, documents: OrderDocumentFactory, portal: Portal, content: Uint8Array, now = new Date()): RenderResult {
  const read = readPortalPayload(portal, content, now);
  if (!read.ok) return { ok: false, orders: [], problems: [{ order: '(file)', errors: read.errors }] };
  const orders: RenderedOrder[] = [];
  const problems: RenderProblem[] = [];
  read.orders.forEach(({ adapted }, i) => {
    if (!adapted.ok) {
      problems.push({ order: adapted.ordernr ?? `#${i + 1}`, errors: adapted.errors });
      return;
    }
    const route = routePortalOrder(adapted.order, config);
    if (!route.ok) {
      // At the unknown reference, like every problem; an unconfigured portal at the order id (the order as a whole).
      const path = route.at[0] ?? adapted.order.fieldPaths.ordernr ?? '';
      problems.push({ order: adapted.order.ordernr, errors: [{ path, message: `unroutable: ${route.reason}` }] });
      return;
    }
    const checked = checkRoutedOrder(config, documents, adapted.order, route, now);
    if (!checked.ok) {
      problems.push({ order: adapted.order.ordernr, errors: checked.errors });
      return;
    }
    const tenant = config.tenants[route.tenant]!;
    orders.push({
      key: formatOrderKey(checked.order),
      tenant: tenant.name,
      url: partnerOrderUrl(tenant.baseUrl, portal).toString(),
      xml: checked.xml,
    });
  });
  return { ok: problems.length === 0, orders, problems };
}
