import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PORTALS, type CanonicalOrder, type Portal } from '../../src/domain/canonical-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { OrderDocumentFactory, redactXsdProblem } from '../../src/brp/order-document.js';
import { buildOrderXml } from '../../src/brp/order-xml.js';
import { XsdValidator } from '../../src/brp/xsd-validator.js';
import { XSD_PATH, fullOrder, minimalOrder, readFixture } from './fixtures.js';

const validator = XsdValidator.fromFile(XSD_PATH);
const factory = new OrderDocumentFactory(validator);

/** Asserts that rendering throws PD_XSD_INVALID with exactly these (redacted) problems. */
function assertRejected(order: CanonicalOrder, problems: string[]): void {
  assert.throws(
    () => factory.render(order),
    (err: unknown) => {
      assert.ok(isPartnerdError(err, 'PD_XSD_INVALID'), String(err));
      assert.deepEqual(err.details, problems);
      assert.equal(err.message, `document does not satisfy the createpartnerorder XSD: ${problems.join('; ')}`);
      return true;
    },
  );
}

function mutate(f: (o: CanonicalOrder) => void): CanonicalOrder {
  const o = fullOrder();
  f(o);
  return o;
}

describe('OrderDocumentFactory accepts valid orders', () => {
  it('returns the built document for a full order', () => {
    const o = fullOrder();
    assert.equal(factory.render(o), buildOrderXml(o));
  });

  it('accepts a minimal order (12-digit personnummer, price 0)', () => {
    const o = minimalOrder();
    assert.equal(factory.render(o), buildOrderXml(o));
  });

  it('accepts every portal as origin', () => {
    for (const portal of PORTALS) {
      const o = mutate((x) => (x.portal = portal));
      assert.ok(factory.render(o).includes(`<origin>${portal}</origin>`));
    }
  });

  it('accepts renew, the + personnummer form and text that needs escaping', () => {
    const o = mutate((x) => {
      x.items[0]!.renew = true;
      x.items[1]!.renew = false;
      x.person.personnummer = '111111+1116';
      x.person.lastName = 'Åström & <Söner> "x" \'y\' 😀';
      x.person.note = 'AT&amp;T\r\n&#60;';
    });
    assert.equal(factory.render(o), buildOrderXml(o));
  });
});

describe('OrderDocumentFactory rejects invalid orders with PD_XSD_INVALID', () => {
  it('wrong origin', () => {
    assertRejected(mutate((o) => (o.portal = 'friskis' as Portal)), [
      "line 1: Element 'origin': [facet 'enumeration'] The value '***' is not an element of the set {'benify', 'wellnet', 'sop', 'actiway', 'epassi'}.",
    ]);
  });

  it('missing person', () => {
    const o = fullOrder() as unknown as Record<string, unknown>;
    delete o.person;
    assertRejected(o as unknown as CanonicalOrder, [
      "line 1: Element 'orderitem': This element is not expected. Expected is ( person ).",
    ]);
  });

  it('zero items', () => {
    assertRejected(mutate((o) => (o.items = [])), [
      "line 1: Element 'order': Missing child element(s). Expected is ( orderitem ).",
    ]);
  });

  it('negative price', () => {
    assertRejected(mutate((o) => (o.items[0]!.priceIncVatOre = -100)), [
      "line 1: Element 'priceincvat': '***' is not a valid value of the atomic type 'ore'.",
    ]);
  });

  it('decimal price', () => {
    assertRejected(mutate((o) => (o.items[1]!.priceIncVatOre = 999.5)), [
      "line 1: Element 'priceincvat': '***' is not a valid value of the atomic type 'ore'.",
    ]);
  });

  it('date that does not exist (2026-02-30)', () => {
    assertRejected(mutate((o) => (o.items[0]!.startDay = '2026-02-30')), [
      "line 1: Element 'startday': '***' is not a valid value of the atomic type 'xs:date'.",
    ]);
  });

  it('bad personnummer shape, without echoing the personnummer', () => {
    const o = mutate((x) => (x.person.personnummer = '11111-1116'));
    assertRejected(o, [
      "line 1: Element 'personnumber': [facet 'pattern'] The value '***' is not accepted by the pattern '\\d{12}'.",
    ]);
    assert.throws(() => factory.render(o), (err: unknown) => {
      assert.ok(isPartnerdError(err, 'PD_XSD_INVALID'), String(err));
      assert.ok(!err.message.includes('11111-1116'), 'the message does not echo the personnummer');
      assert.ok(!JSON.stringify(err.details).includes('11111-1116'), 'nor do the details');
      return true;
    });
  });

  it('empty first name, lower-case country, business unit 0, ordernr with a space', () => {
    assertRejected(
      mutate((o) => {
        o.ordernr = 'A 1';
        o.businessUnit = '0';
        o.person.firstName = '';
        o.person.address!.country = 'se';
      }),
      [
        "line 1: Element 'ordernr': [facet 'pattern'] The value '***' is not accepted by the pattern '\\S+'.",
        "line 1: Element 'id': '***' is not a valid value of the atomic type 'xs:positiveInteger'.",
        "line 1: Element 'firstname': [facet 'minLength'] The value has a length of '0'; this underruns the allowed minimum length of '1'.",
        "line 1: Element 'firstname': [facet 'pattern'] The value '***' is not accepted by the pattern '.*\\S.*'.",
        "line 1: Element 'shippingcountry': [facet 'pattern'] The value '***' is not accepted by the pattern '[A-Z]{2}'.",
      ],
    );
  });

  it('text XML cannot carry (refused while building)', () => {
    assertRejected(
      mutate((o) => (o.person.note = 'bell\u0007')),
      ['person.note: contains a character that XML 1.0 cannot carry'],
    );
  });
});

describe('the XSD itself', () => {
  const valid = buildOrderXml(fullOrder());

  it('rejects an unknown element', () => {
    const xml = valid.replace('</person>', '</person><discount>100</discount>');
    assert.deepEqual(validator.validate(xml), [
      "line 1: Element 'discount': This element is not expected. Expected is ( orderitem ).",
    ]);
    assert.throws(
      () => validator.assertValid(xml),
      (err: unknown) => isPartnerdError(err, 'PD_XSD_INVALID'),
    );
  });

  it('rejects elements out of order', () => {
    const xml = valid.replace('<version>1</version><ordernr>1234567</ordernr>', '<ordernr>1234567</ordernr><version>1</version>');
    assert.deepEqual(validator.validate(xml), [
      "line 1: Element 'ordernr': This element is not expected. Expected is ( version ).",
    ]);
  });

  it("accepts the documentation's request example once origin is a single value", () => {
    const example = readFixture('doc-request-example.xml');
    for (const portal of PORTALS) {
      assert.deepEqual(validator.validate(example.replace('benify|wellnet|sop', portal)), []);
    }
  });

  it("rejects the documentation's request example as published (origin benify|wellnet|sop), the value redacted", () => {
    assert.deepEqual(validator.validate(readFixture('doc-request-example.xml')), [
      "line 3: Element 'origin': [facet 'enumeration'] The value '***' is not an element of the set {'benify', 'wellnet', 'sop', 'actiway', 'epassi'}.",
    ]);
  });
});

describe('redactXsdProblem', () => {
  it('replaces quoted values, including ones that contain quotes and libxml2 wording', () => {
    assert.equal(
      redactXsdProblem(
        "line 1: Element 'lastname': [facet 'pattern'] The value 'O'Brien' is not accepted by the pattern 'x' is not accepted by the pattern '.*\\S.*'.",
      ),
      "line 1: Element 'lastname': [facet 'pattern'] The value '***' is not accepted by the pattern '.*\\S.*'.",
    );
    assert.equal(
      redactXsdProblem("line 1: Element 'startday': 'it's' is not a valid value of the atomic type 'xs:date'."),
      "line 1: Element 'startday': '***' is not a valid value of the atomic type 'xs:date'.",
    );
  });

  it('leaves messages without values unchanged', () => {
    const m = "line 1: Element 'order': Missing child element(s). Expected is ( orderitem ).";
    assert.equal(redactXsdProblem(m), m);
  });
});

describe('OrderDocumentFactory start-up', () => {
  it('refuses a schema libxml2 cannot compile with PD_CONFIG_INVALID', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerd-xsd-'));
    try {
      const path = join(dir, 'broken.xsd');
      writeFileSync(
        path,
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="order" type="nosuchtype"/></xs:schema>',
      );
      assert.throws(
        () => new OrderDocumentFactory(XsdValidator.fromFile(path)),
        (err: unknown) => {
          assert.ok(isPartnerdError(err, 'PD_CONFIG_INVALID'));
          assert.equal(err.message, `configuration is invalid: XSD ${path} cannot be used: Invalid XSD schema`);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
