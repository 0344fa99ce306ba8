import { malformedXml, parseUntrustedXml, type XmlNode, type XmlValue } from '../xml/safe-xml.js';
import { findXmlIllegalChar, formatCodePoint } from '../domain/xml-text.js';
import { isPartnerdError } from '../errors.js';
import { textValue, type TextSource } from './field-rules.js';
import { Issues } from './issues.js';

/**
 * Reads an XML payload by XPath-like paths relative to the root element: `Customer/PersonalNumber`
 * (element text), `Company/@orgNo` (attribute), `@id` (root attribute), `Items/Item[2]/@quantity`
 * (1-based, as in XPath). Problems with the document itself are reported at `/`.
 *
 * Namespaces: the parser (saxes without xmlns, via parseUntrustedXml) is not namespace-aware, so the
 * root must be the unprefixed element in the expected default namespace (`xmlns="…"` on the root,
 * as every contract example has it), and child elements are read unprefixed. A root in another
 * namespace, without one, or with a prefix is refused as a wrong root element.
 */
export class XmlSource implements TextSource {
  private constructor(
    readonly issues: Issues,
    readonly root: XmlNode,
  ) {}

  /** Parses the document and checks the root element; undefined (with an issue at `/`) if unusable. */
  static parse(payload: unknown, expect: { root: string; namespace: string }, issues: Issues = new Issues()): XmlSource | undefined {
    if (typeof payload !== 'string') return issues.add('/', 'must be an XML document');
    // The parser refuses characters XML 1.0 does not allow too ("disallowed character"), but
    // only by line; checked here first so the portal is told which character it sent.
    const raw = findXmlIllegalChar(payload);
    if (raw) return issues.add('/', `contains ${formatCodePoint(raw.codePoint)}, a character XML 1.0 does not allow`);
    const reference = illegalCharReference(payload);
    if (reference !== undefined) {
      return issues.add('/', `contains a character reference to ${formatCodePoint(reference)}, a character XML 1.0 does not allow`);
    }
    let doc: XmlNode;
    try {
      doc = parseUntrustedXml(payload);
    } catch (err) {
      if (isPartnerdError(err, 'PD_XML_UNSAFE')) return issues.add('/', 'a DOCTYPE or entity declaration is not accepted');
      const bad = malformedXml(err);
      // Only the line: the portal is told where, in its own terms, not the parser's rule.
      if (bad) return issues.add('/', `is not well-formed XML${bad.line === undefined ? '' : ` (line ${bad.line})`}`);
      return issues.add('/', 'cannot be read as XML'); // e.g. an element named `__proto__`
    }
    const roots = Object.keys(doc);
    const node = doc[expect.root];
    if (roots.length !== 1 || node === undefined || Array.isArray(node)) {
      return issues.add('/', `the document must have one root element, ${expect.root} in namespace ${expect.namespace}`);
    }
    const element: XmlNode = typeof node === 'string' ? {} : node;
    if (element['@_xmlns'] !== expect.namespace) {
      return issues.add('/', `the root element ${expect.root} must be in namespace ${expect.namespace}`);
    }
    return new XmlSource(issues, element);
  }

  text(path: string, required: boolean): string | undefined {
    const steps = path.split('/');
    const attribute = steps[steps.length - 1]!.startsWith('@') ? steps.pop()!.slice(1) : undefined;
    const found = this.#element(steps, required);
    if (found === undefined) return undefined;
    const { node } = found;
    if (attribute !== undefined) {
      return textValue(this.issues, path, typeof node === 'string' ? undefined : node[`@_${attribute}`], required);
    }
    if (typeof node === 'string') return textValue(this.issues, path, node, required);
    if (Object.keys(node).some((k) => !k.startsWith('@_') && k !== '#text')) return this.issues.add(path, 'must be text, not elements');
    return textValue(this.issues, path, node['#text'] ?? '', required);
  }

  /** How many `path` elements there are (the last step names a repeatable element), within bounds. */
  count(path: string, bounds: { min: number; max: number }): number {
    const steps = path.split('/');
    const name = steps.pop()!;
    const parent = this.#element(steps, bounds.min > 0);
    if (parent === undefined) return 0;
    const n = typeof parent.node === 'string' ? 0 : list(parent.node[name]).length;
    if (n < bounds.min) return this.issues.add(path, `must occur at least ${bounds.min === 1 ? 'once' : `${bounds.min} times`}`) ?? 0;
    if (n > bounds.max) return this.issues.add(path, `must occur at most ${bounds.max} times`) ?? 0;
    return n;
  }

  /** The element at `steps` (`Name` or `Name[n]` each); undefined if absent (recorded when required) or ambiguous. */
  #element(steps: string[], required: boolean): { node: XmlNode | string } | undefined {
    let node: XmlNode | string = this.root;
    const done: string[] = [];
    for (const step of steps) {
      if (step === '') continue;
      const m = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(step);
      if (!m) throw new Error(`bad XML path step ${step}`); // a bug in an adapter, not in a payload
      done.push(step);
      const at = done.join('/');
      const all: XmlValue[] = typeof node === 'string' ? [] : list(node[m[1]!]);
      if (m[2] === undefined && all.length > 1) return this.issues.add(at, 'must occur only once');
      const next: XmlValue | undefined = all[m[2] === undefined ? 0 : Number(m[2]) - 1];
      if (next === undefined) return required ? this.issues.add(at, 'is required') : undefined;
      if (Array.isArray(next)) return this.issues.add(at, 'cannot be read');
      node = next;
    }
    return { node };
  }
}

function list(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first `&#…;` reference to a code point XML 1.0 does not allow, if any. */
function illegalCharReference(text: string): number | undefined {
  for (const m of text.matchAll(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g)) {
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (!(cp <= 0x10ffff) || findXmlIllegalChar(String.fromCodePoint(cp)) !== undefined) return Number.isFinite(cp) ? cp : 0x110000;
  }
  return undefined;
}
