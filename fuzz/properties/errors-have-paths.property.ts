import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import type { FieldError, Portal } from '../../src/domain/canonical-order.js';
import { readPortalPayload } from '../../src/ingest/payload/read-portal-payload.js';
import { SOP_HEADER } from '../../src/portals/sop.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { buildPayload, hostileCase, type HostileCase } from '../arbitraries/hostile-payloads.js';
import { freshOrderIds } from '../case-ids.js';
import { CaseTally } from '../case-tally.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { payloadValues } from '../payload-oracle.js';
import { ingestPayload, ledgerVerdict } from '../portal-ingest.js';

/**
 * Every error has a path and never echoes a value. For every payload of the hostile corpus, each
 * problem partnerd reports — by the payload reader, by `partnerd render`, in a push answer (Benify
 * JSON, Actiway receipt), in an S&P errors file, in what is stored with a rejected or unroutable
 * order — names where it is: a non-empty path in the portal's own terms. The one exception is a
 * JSON portal's document root, whose path is `""` by the contract (a body that is not JSON, a
 * page without its list): there the path is the empty JSON path and the problem must be one about
 * the document as a whole. And no message quotes a value of the payload: not a name, an id, a
 * venue, an article, a date or a price — every text value the payload holds (read by an
 * independent reader, payload-oracle.ts) and every value the case put in, of four characters or
 * more, except the contract's own words (`PAID`, column names) that a message may name as expected.
 */

/**
 * Words of the contracts a message may name as what was expected, not values of this payload, and
 * the fixed examples messages give ("such as 2500.00", "e.g. 2026-11-19T23:30:00Z"), which the
 * corpus also sends as real values (a price of 250000 öre, Epassi's `paidAt`).
 */
const CONTRACT_WORDS = new Set<string>([
  ...SOP_HEADER, 'PAID', 'true', 'false', 'mobile', 'home', 'work', 'Kommentar',
  '2500.00', '2026-11-19T23:30:00Z', '1234.56', '1 234,56',
]);

/** Problems at a JSON portal's root (path ""): about the document as a whole. */
const ROOT_PROBLEMS = [/^must be a JSON object$/, /^the body is not valid (UTF-8|JSON)\b/, /^the page does not have /, /^unroutable: /];

const XML = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (n) => n === 'Error' });

function caseValues(c: HostileCase, ids: readonly string[], portal: Portal, bytes: Uint8Array): string[] {
  const values = new Set<string>(ids);
  for (const o of c.orders) {
    for (const v of Object.values(o.person)) values.add(v);
    values.add(o.venue);
    for (const l of o.lines) values.add(l.article).add(l.startDay);
  }
  for (const m of c.fields) if (m.action.kind === 'personal') values.add(m.action.value);
  for (const v of payloadValues(portal, bytes)) values.add(v.trim());
  // A value that is part of a contract word (a header cell cut in two by an inserted line break,
  // `O` + `rdernummer`) is quoted by any message that names that word as expected.
  return [...values].filter((v) => [...v].length >= 4 && ![...CONTRACT_WORDS].some((w) => w.includes(v)));
}

test('every problem partnerd reports has a path, and no message quotes a value of the payload', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  t.after(() => rig.close());
  const { config, documents } = rig.p.services;
  const tally = new CaseTally();

  await fc.assert(
    fc.asyncProperty(hostileCase(), async (c) => {
      tally.case();
      const ids = freshOrderIds(c);
      const bytes = buildPayload(c, ids);
      const values = caseValues(c, ids, c.portal, bytes);
      const json = c.portal === 'benify' || c.portal === 'wellnet' || c.portal === 'epassi';

      /** [where, problem] of every problem reported for this payload. */
      const problems: Array<[string, FieldError]> = [];
      /** Texts that are messages but have no path of their own (stored reasons). */
      const messages: Array<[string, string]> = [];

      const read = readPortalPayload(c.portal, bytes, new Date());
      if (!read.ok) for (const e of read.errors) problems.push(['reader', e]);
      else for (const o of read.orders) if (!o.adapted.ok) for (const e of o.adapted.errors) problems.push(['adapter', e]);
      for (const p of renderPortalPayload(config, documents, c.portal, bytes).problems) for (const e of p.errors) problems.push([`render (order ${p.order})`, e]);

      const outcome = await ingestPayload(rig, c.portal, bytes);
      if (c.portal === 'benify') {
        const body = JSON.parse(outcome.answer!.text) as { errors?: FieldError[] };
        for (const e of body.errors ?? []) problems.push(['Benify answer', e]);
      } else if (c.portal === 'actiway') {
        const receipt = (XML.parse(outcome.answer!.text) as { ActiwayReceipt?: { Error?: Array<{ '@_path': string; '#text'?: string }> } }).ActiwayReceipt;
        for (const e of receipt?.Error ?? []) problems.push(['Actiway receipt', { path: e['@_path'], message: e['#text'] ?? '' }]);
      } else if (c.portal === 'sop') {
        const errorsFile = outcome.outputs[1]![1];
        if (errorsFile !== '') {
          const rows = parseCsv(errorsFile, { delimiter: ';', columns: true }) as Array<Record<string, string>>;
          for (const r of rows) {
            assert.match(r.Radnummer ?? '', /^\d+$/, `S&P errors file: a row without its line number: ${JSON.stringify(r)}`);
            // `Fel` is "path: message | path: message" (the path is the column, or the line for a row).
            for (const part of (r.Fel ?? '').split(' | ')) messages.push(['S&P errors file', part]);
          }
        }
      }
      for (const id of ids) {
        const { messages: stored } = await ledgerVerdict(rig, c.portal, id);
        if (stored !== '' && stored !== '[null,null,null]') messages.push([`stored with ${id}`, stored]);
      }

      if (problems.length > 0) tally.add('rejected');
      for (const [where, e] of problems) {
        assert.equal(typeof e.path, 'string', `${where}: a problem without a path: ${JSON.stringify(e)}`);
        if (e.path === '') {
          assert.ok(json, `${where}: a problem with an empty path in a ${c.portal} payload: ${JSON.stringify(e)}`);
          assert.ok(ROOT_PROBLEMS.some((re) => re.test(e.message)), `${where}: a problem at the document root that is not about the document: ${JSON.stringify(e)}`);
        }
        messages.push([where, `${e.path} ${e.message}`]);
      }
      for (const [where, text] of messages) {
        const quoted = values.filter((v) => text.includes(v));
        assert.deepEqual(quoted, [], `${where} quotes a value of the payload: ${text.slice(0, 500)}`);
      }
    }),
    fuzzParameters(),
  );
  t.diagnostic(tally.toString());
  tally.atLeast('rejected', 0.3);
});
