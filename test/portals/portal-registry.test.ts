import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PORTALS } from '../../src/domain/canonical-order.js';
import { validateOrder } from '../../src/domain/validate-order.js';
import { actiwayAdapter } from '../../src/portals/actiway.js';
import { benifyAdapter } from '../../src/portals/benify.js';
import { adapterFor, PORTAL_ADAPTERS, toPortalOrder } from '../../src/portals/portal-registry.js';
import { sopAdapter } from '../../src/portals/sop.js';
import { errorsOf, NOW, orderOf } from './helpers.js';

describe('portal registry', () => {
  it('has exactly one adapter per portal, labelled with its portal', () => {
    assert.deepEqual(Object.keys(PORTAL_ADAPTERS).sort(), [...PORTALS].sort());
    for (const portal of PORTALS) {
      assert.equal(PORTAL_ADAPTERS[portal].portal, portal);
      assert.equal(adapterFor(portal), PORTAL_ADAPTERS[portal]);
    }
    assert.equal(adapterFor('benify'), benifyAdapter);
    assert.equal(adapterFor('actiway'), actiwayAdapter);
    assert.equal(adapterFor('sop'), sopAdapter);
  });

  it('dispatches at run time, and a payload of the wrong shape is an error for every portal, never a throw', () => {
    for (const portal of PORTALS) {
      for (const payload of [undefined, null, 42, 'text', [], {}]) {
        const errs = errorsOf(toPortalOrder(portal, payload, NOW));
        assert.ok(errs.length >= 1, `${portal} ${JSON.stringify(payload)}`);
      }
    }
    assert.deepEqual(errorsOf(toPortalOrder('actiway', { rows: [] }, NOW)), [{ path: '/', message: 'must be an XML document' }]);
    assert.deepEqual(errorsOf(toPortalOrder('benify', '<ActiwayOrder/>', NOW)), [{ path: '', message: 'must be a JSON object' }]);
  });

  it('produces what validateOrder accepts once routing has supplied tenant, business unit and product numbers', () => {
    const o = orderOf(
      toPortalOrder(
        'wellnet',
        {
          id: 'WN-1',
          company: { orgNo: '5560160680', name: 'Test Org AB' },
          person: { givenName: 'Tessan', familyName: 'Testsson', ssn: '191111111116', phone: { mobile: '+46731234567' } },
          facilityCode: 'odenplan',
          rows: [{ productCode: 'GYM-12M', validFrom: '2026-12-01', priceOre: 250000 }],
        },
        NOW,
      ),
    );
    const r = validateOrder(
      {
        portal: o.portal,
        ordernr: o.ordernr,
        tenant: 't1',
        businessUnit: '1',
        organization: o.organization,
        person: o.person,
        items: o.lines.map((l) => ({ productNumber: '1001', startDay: l.startDay, priceIncVatOre: l.priceIncVatOre })),
      },
      { personnummerForm: 'short', now: NOW },
    );
    assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.errors));
    assert.equal(r.order.person.personnummer, '111111+1116'); // born 1911: 100 or older, so '+'
    assert.deepEqual(r.order.person.phones, { mobile: '0731234567' });
  });
});
