import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import { XsdValidator } from '../../src/brp/xsd-validator.js';
import { validateOrder } from '../../src/domain/validate-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { canonicalCase, canonicalInput, type CanonicalCase } from '../arbitraries/canonical-orders.js';
import { buildPayload, hostileCase, type HostileCase } from '../arbitraries/hostile-payloads.js';
import { freshOrderIds } from '../case-ids.js';
import { CaseTally } from '../case-tally.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { ingestPayload } from '../portal-ingest.js';

/**
 * Every accepted order renders a document valid against the XSD. What the shared validation
 * accepts, the real OrderDocumentFactory (the pipeline's, libxmljs2 against
 * xsd/createpartnerorder.xsd) renders without complaint: the validation, not the schema, is where
 * an order is refused, so the portal hears about its own field in its own terms and never about
 * `xml`. Checked for canonical orders straight into validateOrder (both personnummer forms), and
 * for the hostile corpus through `partnerd render` and real intake, whose stored document (the one
 * the worker sends) is validated again by a validator of its own.
 */

type Case = { kind: 'canonical'; c: CanonicalCase; form: 'short' | 'long' } | { kind: 'portal'; c: HostileCase };

const NOW = new Date('2026-12-01T12:00:00Z');

test('every order the validation accepts renders a document the XSD accepts', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  const db = new pg.Pool({ connectionString: rig.p.services.config.database.url, max: 2 });
  t.after(async () => {
    await db.end();
    await rig.close();
  });
  const { config, documents } = rig.p.services;
  const validator = XsdValidator.fromFile(config.xsdPath);
  const tally = new CaseTally();

  const valid = (xml: string, what: string) => assert.deepEqual(validator.validate(xml), [], `${what}: the document fails the XSD`);

  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.record({ kind: fc.constant('canonical' as const), c: canonicalCase, form: fc.constantFrom('short', 'long') as fc.Arbitrary<'short' | 'long'> }),
        fc.record({ kind: fc.constant('portal' as const), c: hostileCase() }),
      ),
      async (k: Case) => {
        tally.case();
        if (k.kind === 'canonical') {
          const checked = validateOrder(canonicalInput(k.c, `FX-${tally.cases}`), { personnummerForm: k.form, now: NOW });
          if (!checked.ok) return;
          tally.add('accepted');
          let xml: string;
          try {
            xml = documents.render(checked.order);
          } catch (err) {
            if (!isPartnerdError(err, 'PD_XSD_INVALID')) throw err;
            assert.fail(`validateOrder accepted an order the XSD refuses: ${err.message}\n${JSON.stringify(checked.order)}`);
          }
          valid(xml, 'render');
          return;
        }

        const { c } = k;
        const ids = freshOrderIds(c);
        const bytes = buildPayload(c, ids);
        const rendered = renderPortalPayload(config, documents, c.portal, bytes, NOW);
        for (const p of rendered.problems) {
          const xsd = p.errors.filter((e) => e.path === 'xml');
          assert.deepEqual(xsd, [], `order ${JSON.stringify(p.order)}: validation accepted it, the XSD refused it`);
        }
        for (const r of rendered.orders) valid(r.xml, `render ${r.key}`);
        if (rendered.orders.length > 0) tally.add('accepted');

        await ingestPayload(rig, c.portal, bytes);
        for (const id of ids) {
          const key = await rig.p.services.ledger.keyForPortalOrder(c.portal, id);
          if (key === undefined || key.startsWith('~:')) continue;
          const row = (await db.query<{ xml: string | null }>('SELECT xml FROM orders WHERE key = $1', [key])).rows[0];
          if (!row || row.xml === null) continue;
          tally.add('stored documents');
          valid(row.xml, `intake ${key}`);
        }
      },
    ),
    fuzzParameters(),
  );
  t.diagnostic(tally.toString());
  tally.atLeast('accepted', 0.15);
});
