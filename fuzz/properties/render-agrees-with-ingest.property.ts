import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { buildPayload, hostileCase } from '../arbitraries/hostile-payloads.js';
import { freshOrderIds } from '../case-ids.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { ingestPayload, ledgerVerdict } from '../portal-ingest.js';

/**
 * `partnerd render <portal>` is the dry run of intake: for every payload of the hostile corpus it
 * renders exactly the orders real intake queues for BRP (same count, same order ids), and it
 * calls a payload unreadable exactly when intake does (an S&P file rejected whole, a pull page the
 * poll backs off on).
 */
test('render and real ingest give the same verdict for every payload of the hostile corpus', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  t.after(() => rig.close());
  const { config, documents } = rig.p.services;

  await fc.assert(
    fc.asyncProperty(hostileCase(), async (c) => {
      const ids = freshOrderIds(c);
      const bytes = buildPayload(c, ids);
      const rendered = renderPortalPayload(config, documents, c.portal, bytes);
      const outcome = await ingestPayload(rig, c.portal, bytes);

      const renderedKeys = new Set(rendered.orders.map((o) => o.key));
      assert.equal(renderedKeys.size, outcome.queued, `render would send ${renderedKeys.size} order(s) to BRP, intake queued ${outcome.queued}: ${JSON.stringify(rendered.problems)}`);
      for (const id of ids) {
        const { queued } = await ledgerVerdict(rig, c.portal, id);
        assert.equal(renderedKeys.has(`t1:${c.portal}:${id}`), queued, `order ${id}: render ${renderedKeys.has(`t1:${c.portal}:${id}`) ? 'renders it' : 'refuses it'}, intake ${queued ? 'queued it' : 'did not queue it'}`);
      }
      if (c.portal === 'sop' || c.portal === 'wellnet' || c.portal === 'epassi') {
        assert.equal(rendered.problems.some((p) => p.order === '(file)'), outcome.unreadable, 'render and intake disagree on whether the payload can be read at all');
      }
    }),
    fuzzParameters(),
  );
});
