import { partnerOrderUrl } from '../brp/endpoint.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Config } from '../config/schema.js';
import { formatOrderKey, type FieldError, type Portal } from '../domain/canonical-order.js';
import { groupSopOrders, parseSopCsv, sopPayload } from '../ingest/file-drop/sop-csv.js';
import { checkRoutedOrder } from '../ingest/portal-intake.js';
import { routePortalOrder } from '../ingest/router.js';
import { toPortalOrder } from '../portals/portal-registry.js';

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

export type RenderResult = { ok: true; orders: RenderedOrder[] } | { ok: false; problems: RenderProblem[] };

/**
 * `partnerd render <portal> <payload-file>`: the dry run of the whole ingest path with the
 * daemon's config — adapter, routing, shared validation, XSD — without Redis or BRP. A payload is
 * what the portal sends or serves: a Benify JSON order, an Actiway XML document, a Wellnet page
 * (or one order), an Epassi page (or one purchase), an S&P CSV file.
 */
export function renderPortalPayload(config: Config, documents: OrderDocumentFactory, portal: Portal, content: Buffer, now = new Date()): RenderResult {
  const split = splitPayload(portal, content);
  if (!split.ok) return { ok: false, problems: [{ order: '(file)', errors: split.errors }] };
  const orders: RenderedOrder[] = [];
  const problems: RenderProblem[] = [];
  split.payloads.forEach((payload, i) => {
    const adapted = toPortalOrder(portal, payload, now);
    if (!adapted.ok) {
      problems.push({ order: adapted.ordernr ?? `#${i + 1}`, errors: adapted.errors });
      return;
    }
    const route = routePortalOrder(adapted.order, config);
    if (!route.ok) {
      problems.push({ order: adapted.order.ordernr, errors: [{ path: '', message: `unroutable: ${route.reason}` }] });
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
  return problems.length > 0 ? { ok: false, problems } : { ok: true, orders };
}

function splitPayload(portal: Portal, content: Buffer): { ok: true; payloads: unknown[] } | { ok: false; errors: FieldError[] } {
  if (portal === 'actiway') return { ok: true, payloads: [content.toString('utf8')] };
  if (portal === 'sop') {
    const file = parseSopCsv(content);
    if (!file.ok) return { ok: false, errors: [{ path: `${file.line}:`, message: file.problem }] };
    return { ok: true, payloads: groupSopOrders(file.rows).map(sopPayload) };
  }
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return { ok: false, errors: [{ path: '', message: 'not valid JSON' }] };
  }
  const list = (name: string) => (json && typeof json === 'object' && Array.isArray((json as Record<string, unknown>)[name]) ? (json as Record<string, unknown[]>)[name] : undefined);
  if (Array.isArray(json)) return { ok: true, payloads: json };
  if (portal === 'wellnet') return { ok: true, payloads: list('orders') ?? [json] };
  if (portal === 'epassi') return { ok: true, payloads: list('items') ?? [json] };
  return { ok: true, payloads: [json] };
}
