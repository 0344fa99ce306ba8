import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { isPartnerdError, PartnerdError } from '../errors.js';

/**
 * The only way XML from outside (BRP responses, portal payloads, simulator requests) is read.
 * saxes is a pure-JS, strictly conforming XML 1.0 parser: one pass both checks well-formedness
 * (a mismatched or unclosed tag, an undefined entity, a character XML cannot carry is an error,
 * never "repaired") and builds the tree. A document that declares a DOCTYPE or an entity is
 * refused before any parsing, so no entity is ever expanded (billion laughs, XXE); only the five
 * predefined entities and numeric character references are decoded.
 */

const DECLARATION = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)\b/i;

/** Names that would write to an object's prototype instead of a property. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The `details` of PD_XML_MALFORMED: the parser's rule in plain words and the line, never any of
 * the document's content. Callers read these, never the message.
 */
export interface MalformedXml {
  reason: string;
  line?: number;
}

function malformed(reason: string, line?: number): PartnerdError {
  const details: MalformedXml = line === undefined ? { reason } : { reason, line };
  return new PartnerdError('PD_XML_MALFORMED', line === undefined ? reason : `${reason} (line ${line})`, details);
}

/** What a PD_XML_MALFORMED error says (undefined for any other error). */
export function malformedXml(err: unknown): MalformedXml | undefined {
  return isPartnerdError(err, 'PD_XML_MALFORMED') ? (err.details as MalformedXml) : undefined;
}

export function assertNoDeclarations(text: string): void {
  if (DECLARATION.test(text)) throw new PartnerdError('PD_XML_UNSAFE');
}

export interface ParseXmlOptions {
  /** Element names that are always arrays, whatever their count (e.g. `error`, `vatsum`). */
  arrays?: readonly string[];
}

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

interface Frame {
  name: string;
  attributes: Record<string, string>;
  children: Record<string, XmlValue[]>;
  childCount: number;
  text: string;
}

/**
 * Parses untrusted XML into plain objects. An element with only text is its (trimmed) text; one
 * with attributes or children is an object: attributes as `@_name`, children by name (an array
 * when repeated, or when named in `arrays`), text as `#text` when there is any. Values stay strings.
 */
export function parseUntrustedXml(text: string, options: ParseXmlOptions = {}): XmlNode {
  assertNoDeclarations(text);
  const arrays = new Set(options.arrays ?? []);
  const root: Frame = { name: '', attributes: {}, children: {}, childCount: 0, text: '' };
  const stack: Frame[] = [root];
  const parser = new SaxesParser({ xmlns: false, position: true });

  parser.on('doctype', () => {
    throw new PartnerdError('PD_XML_UNSAFE');
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (FORBIDDEN_NAMES.has(tag.name)) throw malformed(`element name ${tag.name} is not accepted`);
    for (const name of Object.keys(tag.attributes)) {
      if (FORBIDDEN_NAMES.has(name)) throw malformed(`attribute name ${name} is not accepted`);
    }
    stack.push({ name: tag.name, attributes: tag.attributes as Record<string, string>, children: {}, childCount: 0, text: '' });
  });
  const addText = (t: string) => {
    stack[stack.length - 1]!.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    const parent = stack[stack.length - 1]!;
    (parent.children[frame.name] ??= []).push(valueOf(frame, arrays));
    parent.childCount++;
  });

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof PartnerdError) throw err;
    // saxes' messages are "line:column: rule" ("10:41: unexpected close tag."); some rules name a
    // tag, an entity or a URI ("unclosed tag: FirstName"), so only the rule's words before any
    // colon or full stop are kept, and only if they are plain words: nothing of the content.
    const m = /^(\d+):(\d+): ([^\n]*)$/m.exec((err as Error).message);
    const words = m?.[3]?.split(/[:.]/, 1)[0]?.trim() ?? '';
    const rule = /^[A-Za-z][A-Za-z -]{0,79}$/.test(words) ? words : 'not well-formed';
    throw malformed(rule, m ? Number(m[1]) : undefined);
  }
  return childrenObject(root, arrays);
}

function valueOf(frame: Frame, arrays: Set<string>): XmlValue {
  const text = frame.text.trim();
  const attributeNames = Object.keys(frame.attributes);
  if (attributeNames.length === 0 && frame.childCount === 0) return text;
  const node = childrenObject(frame, arrays);
  for (const name of attributeNames) node[`@_${name}`] = frame.attributes[name]!;
  if (text !== '') node['#text'] = text;
  return node;
}

function childrenObject(frame: Frame, arrays: Set<string>): XmlNode {
  const node: XmlNode = {};
  for (const [name, values] of Object.entries(frame.children)) {
    node[name] = values.length === 1 && !arrays.has(name) ? values[0]! : values;
  }
  return node;
}
