import { test } from 'node:test';
import fc from 'fast-check';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { buildPayload, hostileCase } from '../arbitraries/hostile-payloads.js';
import { personalValuesIn } from '../arbitraries/personal-values.js';
import { freshOrderIds } from '../case-ids.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { ingestPayload, ledgerVerdict } from '../portal-ingest.js';

/**
 * Messages never quote input. Every payload of the hostile corpus (all five portals, filled with
 * known personal values, malformed in many ways) goes through real intake and through
 * `partnerd render`; nothing that comes out — HTTP answers, S&P errors files, poll summaries,
 * the messages stored with orders (which the notifier and the receipts pass on), render's
 * problems, every log line — may contain any of those values. (Render's XML for an order that
 * is valid carries the person, as the order to BRP must: it is not a message.)
 */
test('no personal value of the hostile corpus reaches any message, log line, HTTP answer, render output or rejected file', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  t.after(() => rig.close());
  const { config, documents } = rig.p.services;

  await fc.assert(
    fc.asyncProperty(hostileCase(), async (c) => {
      const ids = freshOrderIds(c);
      const bytes = buildPayload(c, ids);
      rig.p.lines.splice(0); // this case's lines only
      const outcome = await ingestPayload(rig, c.portal, bytes);
      const outputs = [...outcome.outputs];
      for (const id of ids) outputs.push([`messages stored with ${id}`, (await ledgerVerdict(rig, c.portal, id)).messages]);
      outputs.push(['render problems', JSON.stringify(renderPortalPayload(config, documents, c.portal, bytes).problems)]);
      outputs.push(['log lines', rig.p.lines.map((l) => JSON.stringify(l)).join('\n')]);
      for (const [what, text] of outputs) {
        const found = personalValuesIn(text);
        if (found.length > 0) throw new Error(`${what} contains ${found.join(', ')}:\n${text.slice(0, 2_000)}`);
      }
    }),
    fuzzParameters(),
  );
});
