import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PartnerdError } from '../errors.js';

/**
 * The only way XML from outside (BRP responses, portal payloads, simulator requests) is read.
 * It is a pure-JS parser, and a document that declares a DOCTYPE or an entity is refused before
 * any parsing, so no entity is ever expanded (billion laughs, XXE). Only the five predefined
 * entities and numeric character references are decoded.
 */

const XML_ENTITIES = { amp: '&', apos: "'", gt: '>', lt: '<', quot: '"' };

const DECLARATION = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)\b/i;

export function assertNoDeclarations(text: string): void {
  if (DECLARATION.test(text)) throw new PartnerdError('PD_XML_UNSAFE');
}

export interface ParseXmlOptions {
  /** Element names that are always arrays, whatever their count (e.g. `error`, `vatsum`). */
  arrays?: readonly string[];
}

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

/** Parses untrusted XML into plain objects: attributes as `@_name`, text as `#text` when mixed. Values stay strings. */
export function parseUntrustedXml(text: string, options: ParseXmlOptions = {}): XmlNode {
  assertNoDeclarations(text);
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) {
    throw new PartnerdError('PD_XML_MALFORMED', `${verdict.err.msg} (line ${verdict.err.line})`);
  }
  const arrays = new Set(options.arrays ?? []);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    // An object here means: exactly these named entities (XML's five), plus numeric references.
    htmlEntities: XML_ENTITIES as unknown as boolean,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name) => arrays.has(name),
  });
  try {
    return parser.parse(text) as XmlNode;
  } catch (err) {
    // e.g. an element named __proto__ (the parser refuses prototype-polluting names)
    throw new PartnerdError('PD_XML_MALFORMED', `cannot be read: ${(err as Error).message.split('\n')[0]?.slice(0, 200)}`);
  }
}
