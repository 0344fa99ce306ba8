import fc from 'fast-check';

/**
 * Hostile leaf values and a structure-aware JSON mutator, for the properties that feed the
 * adapters and the shared validation directly (no-exception-escapes, xsd-valid-documents): a
 * valid order with one or a few of its nodes replaced by something nobody should send keeps
 * reaching the deep checks, where random JSON would stop at the first missing field.
 */

/** Text that has broken text handling somewhere: characters XML cannot carry, whitespace JS and XSD disagree on, edge dates and amounts. */
export const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '\t', '\r\n', '\u0000', 'Te\u0000ssan', '\ud800', 'Te\udfffssan', 'a\ud83d', '\ufffe', '\uffff', '\u000b', '\u000c', '\u001f', '\u007f',
  '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u200b', '😀', 'Åsa 😀', '𝔘', 'x'.repeat(5_000),
  '<!DOCTYPE x>', '<x/>', ']]>', '&amp;', '&#0;', '&lt;', '"', "'", '\\', '__proto__', 'constructor', 'toString',
  '0000-01-01', '0001-01-01', '9999-12-31', '10000-01-01', '2027-02-29', '2028-02-29', '2027-13-01', '2027-1-1', '2027-01-01T00:00:00Z',
  '-1', '-0', '0', '1e3', '1e400', 'NaN', 'Infinity', '99999999999999999999', '90071992547409.93', '1,234.56', '2 500,00 kr', '0.299', '.5', '5.',
  '19000101-0000', '00000000-0000', '000000-0000', '556016-0680', '+46 70-123 45 67', '+', '-', 'SE', 'se', 'S', 'SWE', 'true', 'Ja',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

/** Any JSON-ish value, leaning to the hostile strings and to the numbers that break money and counts. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -0, 1e308, 51, 50, 1_000_000) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom({}, [], [null], [{}], { value: 'x' }, [[[]]]) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Replace the `at`-th node (modulo the node count, depth-first) of `tree` with `value`, or delete it. */
export interface TreeMutation {
  at: number;
  op: 'replace' | 'delete';
  value: unknown;
}

export const treeMutation: fc.Arbitrary<TreeMutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'replace', 'replace', 'delete') as fc.Arbitrary<'replace' | 'delete'>,
  value: hostileValue,
});

export const treeMutations: fc.Arbitrary<TreeMutation[]> = fc.array(treeMutation, { maxLength: 3 });

/** A deep copy of `tree` with the mutations applied (the root itself is never replaced). */
export function mutateTree(tree: unknown, mutations: readonly TreeMutation[]): unknown {
  const out = structuredClone(tree);
  for (const m of mutations) {
    const slots: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
    collect(out, slots);
    if (slots.length === 0) continue;
    const { parent, key } = slots[m.at % slots.length]!;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (Array.isArray(parent)) {
      parent[key as number] = structuredClone(m.value);
    } else {
      parent[key as string] = structuredClone(m.value);
    }
  }
  return out;
}

function collect(node: unknown, slots: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }>): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => {
      slots.push({ parent: node, key: i });
      collect(child, slots);
    });
  } else if (node !== null && typeof node === 'object') {
    for (const [k, child] of Object.entries(node)) {
      slots.push({ parent: node as Record<string, unknown>, key: k });
      collect(child, slots);
    }
  }
}
