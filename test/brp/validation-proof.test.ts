import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderDocumentFactory } from '../../src/brp/order-document.js';
import { XsdValidator } from '../../src/brp/xsd-validator.js';
import { isPartnerdError } from '../../src/errors.js';
import { fullOrder, XSD_PATH } from './fixtures.js';

/** A validator that counts how often libxmljs2 is asked, so the tests can see validation happen. */
function countingFactory() {
  const validator = XsdValidator.fromFile(XSD_PATH);
  let calls = 0;
  const original = validator.validate.bind(validator);
  validator.validate = (xml: string) => { calls++; return original(xml); };
  const factory = new OrderDocumentFactory(validator);
  calls = 0; // the constructor's start-up probe
  return { factory, calls: () => calls };
}

test('a matching proof: the identical bytes are sent without validating them again', () => {
  const { factory, calls } = countingFactory();
  const { xml, proof } = factory.renderWithProof(fullOrder());
  assert.equal(calls(), 1);
  assert.equal(factory.renderForSending(fullOrder(), proof), xml);
  assert.equal(calls(), 1);
});

test('no proof, or a proof for other bytes: validated again before sending', () => {
  const { factory, calls } = countingFactory();
  const { proof } = factory.renderWithProof(fullOrder());
  const changed = { ...fullOrder(), ordernr: 'other' };
  factory.renderForSending(changed, proof);
  assert.equal(calls(), 2);
  factory.renderForSending(fullOrder(), undefined);
  assert.equal(calls(), 3);
});

test('a proof does not let an invalid document through', () => {
  const { factory } = countingFactory();
  const { proof } = factory.renderWithProof(fullOrder());
  const invalid = { ...fullOrder(), items: [] };
  assert.throws(() => factory.renderForSending(invalid, proof), (err: unknown) => isPartnerdError(err, 'PD_XSD_INVALID'));
});

test('a proof is bound to the schema: another XSD digest does not match', () => {
  const a = countingFactory();
  const { proof } = a.factory.renderWithProof(fullOrder());
  const b = countingFactory();
  (b.factory as unknown as { validator: { digest: string } }).validator.digest = 'another-schema';
  b.factory.renderForSending(fullOrder(), proof);
  assert.equal(b.calls(), 1, 'validated against the other schema');
});

test('the validated bytes kept at intake are sent as they are while the proof holds for them', () => {
  const { factory, calls } = countingFactory();
  const { xml, proof } = factory.renderWithProof(fullOrder());
  assert.equal(factory.renderForSending({ ...fullOrder(), ordernr: 'ignored' }, proof, xml), xml, 'no rebuild');
  assert.equal(calls(), 1);
  const tampered = xml.replace('1234567', '7654321');
  const sent = factory.renderForSending(fullOrder(), proof, tampered);
  assert.equal(sent, xml, 'stored bytes that do not match the proof are not sent; the order is rebuilt');
});
