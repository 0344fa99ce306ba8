import type { CanonicalOrder, FieldError } from '../domain/canonical-order.js';
import { PartnerdError, isPartnerdError } from '../errors.js';
import { buildOrderXml } from './order-xml.js';
import { createHash } from 'node:crypto';
import type { XsdValidator } from './xsd-validator.js';

export { redactXsdProblem } from './xsd-validator.js';

/** The document that satisfies nothing, used once to prove the schema compiles at all. */
const PROBE = '<?xml version="1.0" encoding="UTF-8"?><order/>';

/**
 * Renders a CanonicalOrder as the createpartnerorder document and validates it against the XSD.
 * Only a document that passes is ever returned, so an order that fails the XSD is never sent.
 */
export class OrderDocumentFactory {
  constructor(private readonly validator: XsdValidator) {
    // libxmljs2 compiles the schema on every validate() call and throws a plain Error when it
    // cannot (e.g. a downloaded BRP XSD with an xs:include it cannot resolve). Fail at start-up
    // with a configuration error instead of failing every order later.
    try {
      validator.validate(PROBE);
    } catch (err) {
      throw new PartnerdError(
        'PD_CONFIG_INVALID',
        `XSD ${validator.path} cannot be used: ${(err as Error).message.trim()}`,
      );
    }
  }

  /** The validated document; throws PartnerdError PD_XSD_INVALID (details: the problems, values redacted). */
  render(order: CanonicalOrder): string {
    const xml = buildOrderXml(order);
    let problems: string[];
    try {
      problems = this.validator.validate(xml);
    } catch (err) {
      if (isPartnerdError(err)) throw err;
      throw new PartnerdError('PD_XSD_INVALID', `validator failed: ${(err as Error).message.trim()}`);
    }
    if (problems.length > 0) throw new PartnerdError('PD_XSD_INVALID', problems.join('; '), problems);
    return xml;
  }

  /**
   * Renders and validates once, at intake, and returns a proof: a digest of the schema and the
   * exact bytes that passed. libxmljs2 compiles the schema on every validate() (~100 µs), so the
   * worker does not validate the same bytes twice: it rebuilds the document and sends it only if
   * it is byte-identical to the one that passed (see renderForSending).
   */
  renderWithProof(order: CanonicalOrder): { xml: string; proof: string } {
    const xml = this.render(order);
    return { xml, proof: this.proofOf(xml) };
  }

  /**
   * For intake paths: the proof, or the XSD problems as field errors (path `xml`) for the caller
   * to report. Only PD_XSD_INVALID is turned into errors; anything else is a real failure.
   */
  prove(order: CanonicalOrder): { ok: true; proof: string; xml: string } | { ok: false; errors: FieldError[] } {
    try {
      return { ok: true, ...this.renderWithProof(order) };
    } catch (err) {
      if (!isPartnerdError(err, 'PD_XSD_INVALID')) throw err;
      const problems = (err.details as string[] | undefined) ?? [err.message];
      return { ok: false, errors: problems.map((message) => ({ path: 'xml', message })) };
    }
  }

  /**
   * The document to send. With a matching proof the bytes are exactly those validated against this
   * same schema; without one (older record, changed builder or XSD) it is validated again here.
   */
  renderForSending(order: CanonicalOrder | (() => CanonicalOrder), proof: string | undefined, stored?: string): string {
    // The bytes validated at intake, kept in the ledger: sent as they are if the proof still
    // holds for them under the current schema (a hash, not a rebuild). The order itself is only
    // needed (and, from the ledger, only parsed) when they are not.
    if (proof && stored && this.proofOf(stored) === proof) return stored;
    const canonical = typeof order === 'function' ? order() : order;
    if (proof) {
      const xml = buildOrderXml(canonical);
      if (this.proofOf(xml) === proof) return xml;
    }
    return this.render(canonical);
  }

  private proofOf(xml: string): string {
    return createHash('sha256').update(this.validator.digest).update('\n').update(xml).digest('base64url');
  }
}
