import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import libxml from 'libxmljs2';
import { PartnerdError } from '../errors.js';
import { assertNoDeclarations } from '../xml/safe-xml.js';

/**
 * Validates createpartnerorder documents against the XSD. The schema is parsed once per process
 * and reused for every order. libxmljs2 bundles an old libxml2, so it only ever sees documents we
 * built ourselves (and, in the simulator, documents checked for declarations first); network
 * access and entity substitution are off.
 */
export class XsdValidator {
  private readonly schema: libxml.Document;
  /** sha256 of the schema text: identifies which schema a document was validated against. */
  readonly digest: string;

  private constructor(schemaText: string, readonly path: string) {
    this.schema = libxml.parseXml(schemaText, { nonet: true, noent: false, dtdload: false });
    this.digest = createHash('sha256').update(schemaText).digest('hex');
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

  /** Every schema violation as a one-line message (document values redacted); empty when valid. */
  validate(xml: string): string[] {
    assertNoDeclarations(xml);
    let doc: libxml.Document;
    try {
      doc = libxml.parseXml(xml, { nonet: true, noent: false, dtdload: false, noblanks: false });
    } catch (err) {
      return [`not well-formed: ${(err as Error).message.trim()}`];
    }
    if (doc.validate(this.schema)) return [];
    return doc.validationErrors.map((e) => redactXsdProblem(`line ${e.line}: ${e.message.trim()}`));
  }

  /** Throws PD_XSD_INVALID with the violations as details. */
  assertValid(xml: string): void {
    const problems = this.validate(xml);
    if (problems.length > 0) throw new PartnerdError('PD_XSD_INVALID', problems.join('; '), problems);
  }
}

/**
 * libxml2 quotes the offending value in its schema messages ("The value '111111-111' is not
 * accepted by the pattern ..."). Those values are personal data, and PartnerdError messages must
 * never carry any, so every quoted value is replaced by `***`; the element name stays, which is
 * enough to find the field. The matches are greedy up to libxml2's fixed wording, so a value that
 * itself contains quotes or that wording is still covered completely.
 */
const VALUE_MESSAGES: ReadonlyArray<[RegExp, string]> = [
  // [facet 'pattern'] The value '…' is not accepted by the pattern '…'.
  // [facet 'enumeration'] The value '…' is not an element of the set {…}.
  [/The value '[\s\S]*' is not (accepted by the pattern|an element of the set)/, "The value '***' is not $1"],
  // Element 'x': '…' is not a valid value of the atomic type '…'.   (also "local atomic type", "list type", …)
  [/^([\s\S]*?Element '[^']*': )'[\s\S]*' is not a valid value of the /, "$1'***' is not a valid value of the "],
];

/** A libxml2 XSD problem with any quoted document value replaced by `***`. */
export function redactXsdProblem(problem: string): string {
  let out = problem;
  for (const [re, replacement] of VALUE_MESSAGES) out = out.replace(re, replacement);
  return out;
}
