import { create } from 'xmlbuilder2';

/**
 * Text and attribute values for xmlbuilder2, the one place its escaping bug is worked around.
 *
 * xmlbuilder2 (up to at least 4.0.3) only escapes an `&` that does not already look like an
 * entity or character reference: its serializer replaces `/&(?![A-Za-z]+;|#\d+;)/g` (issues
 * #105, #110, #117), so the text `AT&amp;T` would go out as `AT&T` and `Fish &chips;` as a
 * document that is not well-formed. Values are therefore pre-escaped: every `&` becomes `&amp;`
 * (which the serializer leaves alone) and every CR `&#13;` (a raw CR would reach the reader as
 * LF). A probe at load checks that this is still how the serializer behaves and turns the
 * pre-escaping off if a future xmlbuilder2 escapes `&` itself.
 */
const PRE_ESCAPE: boolean = (() => {
  const probe = create().ele(null, 'p', { a: '&amp;' }).txt('&amp;&#13;').end({ headless: true });
  if (probe === '<p a="&amp;">&amp;&#13;</p>') return true;
  if (probe === '<p a="&amp;amp;">&amp;amp;&amp;#13;</p>') return false;
  throw new Error(`xmlbuilder2 escapes in an unexpected way (${probe}); src/xml/builder-text.ts must be reviewed`);
})();

/** A value to hand to xmlbuilder2's `txt()` or as an attribute, so that it arrives unchanged. */
export function builderText(text: string): string {
  if (!PRE_ESCAPE) return text;
  let out = text;
  if (out.includes('&')) out = out.replace(/&/g, '&amp;');
  if (out.includes('\r')) out = out.replace(/\r/g, '&#13;');
  return out;
}

/**
 * An attribute value: as builderText, and LF and TAB as character references, because a reader
 * normalises literal whitespace in attributes to spaces (XML 1.0 §3.3.3).
 */
export function builderAttribute(text: string): string {
  const out = builderText(text);
  return PRE_ESCAPE && /[\n\t]/.test(out) ? out.replace(/\n/g, '&#10;').replace(/\t/g, '&#9;') : out;
}
