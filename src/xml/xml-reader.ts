import type { XmlNode, XmlValue } from './safe-xml.js';

/**
 * Reads a tree from parseUntrustedXml by element name, strictly: a singular element that appears
 * twice, text where elements belong or elements where text belongs, a required element or text
 * that is missing are each an XmlReadError whose message names the path (`confirmation.invoice
 * .ocrnumber is missing`), never a value. An empty element counts as absent; attributes are
 * ignored, and so are elements nobody asks for (the other side may add fields).
 */
export class XmlReadError extends Error {}

export function fail(reason: string): never {
  throw new XmlReadError(reason);
}

/** An element's content: a string, an element node, or undefined when absent. Repeats are refused. */
export function child(node: XmlNode, name: string, path: string): string | XmlNode | undefined {
  const v: XmlValue | undefined = node[name];
  if (Array.isArray(v)) fail(`${path}.${name} appears more than once`);
  return v;
}

/** A repeatable element as a list (absent → []). */
export function children(node: XmlNode, name: string): Array<string | XmlNode> {
  const v: XmlValue | undefined = node[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as Array<string | XmlNode>;
}

/** Element content as a node; an empty element (`<x/>`) is an empty node. */
export function asNode(v: string | XmlNode, path: string): XmlNode {
  if (typeof v !== 'string') return v;
  if (v === '') return {};
  fail(`${path} has text where elements are expected`);
}

export function element(node: XmlNode, name: string, path: string): XmlNode | undefined {
  const v = child(node, name, path);
  return v === undefined ? undefined : asNode(v, `${path}.${name}`);
}

export function requiredElement(node: XmlNode, name: string, path: string): XmlNode {
  const el = element(node, name, path);
  if (el === undefined) fail(`${path}.${name} is missing`);
  return el;
}

/** Text content; attributes are ignored; child elements make it not text. */
export function asText(v: string | XmlNode, path: string): string {
  if (typeof v === 'string') return v;
  let text = '';
  for (const [k, x] of Object.entries(v)) {
    if (k === '#text' && typeof x === 'string') text = x;
    else if (!k.startsWith('@_')) fail(`${path} is not text`);
  }
  return text;
}

/** Optional text: absent or empty → undefined. */
export function text(node: XmlNode, name: string, path: string): string | undefined {
  const v = child(node, name, path);
  if (v === undefined) return undefined;
  const t = asText(v, `${path}.${name}`);
  return t === '' ? undefined : t;
}

export function requiredText(node: XmlNode, name: string, path: string): string {
  const t = text(node, name, path);
  if (t === undefined) fail(`${path}.${name} is missing`);
  return t;
}
