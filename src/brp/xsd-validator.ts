import { readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { PartnerdError } from '../errors.js';
import { assertNoDeclarations } from './safe-xml.js';

/**
 * Validates createpartnerorder documents against the XSD. The schema is parsed once per process
 * and reused for every order. libxmljs2 bundles an old libxml2, so it only ever sees documents we
 * built ourselves (and, in the simulator, documents checked for declarations first); network
 * access and entity substitution are off.
 */
export class XsdValidator {
  private readonly schema: libxml.Document;

  private constructor(schemaText: string, readonly path: string) {
    this.schema = libxml.parseXml(schemaText, { nonet: true, noent: false, dtdload: false });
  }

  static fromFile(path: string): XsdValidator {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new PartnerdError('PD_CONFIG_UNREADABLE', `XSD ${path}: ${(err as Error).message}`);
    }
    return new XsdValidator(text, path);
  }

  /** Every schema violation as a one-line message; empty when the document is valid. */
  validate(xml: string): string[] {
    assertNoDeclarations(xml);
    let doc: libxml.Document;
    try {
      doc = libxml.parseXml(xml, { nonet: true, noent: false, dtdload: false, noblanks: false });
    } catch (err) {
      return [`not well-formed: ${(err as Error).message.trim()}`];
    }
    if (doc.validate(this.schema)) return [];
    return doc.validationErrors.map((e) => `line ${e.line}: ${e.message.trim()}`);
  }

  /** Throws PD_XSD_INVALID with the violations as details. */
  assertValid(xml: string): void {
    const problems = this.validate(xml);
    if (problems.length > 0) throw new PartnerdError('PD_XSD_INVALID', problems.join('; '), problems);
  }
}
