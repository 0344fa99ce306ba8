/**
 * partnerd's layer order, written down once (issue #12). test/architecture/dependencies.test.ts
 * runs dependency-cruiser with this file and fails on any violation, listing the imports.
 *
 * A module may import from its own folder or from any layer below it, never from a layer above
 * nor from another folder of its own layer. Bottom to top:
 */
const LAYERS = [
  { name: 'foundation', paths: ['^src/errors\\.ts$', '^src/observability/'] },
  { name: 'rules', paths: ['^src/domain/', '^src/xml/', '^src/http/'] },
  { name: 'config', paths: ['^src/config/'] },
  { name: 'stores-and-formats', paths: ['^src/brp/', '^src/portals/', '^src/ledger/', '^src/security/'] },
  { name: 'pipeline', paths: ['^src/queue/', '^src/finance/', '^src/ingest/payload/', '^src/simulator/'] },
  { name: 'intake-and-portal-clients', paths: ['^src/ingest/[^/]+\\.ts$', '^src/portal-clients/'] },
  { name: 'ingest-paths', paths: ['^src/ingest/http/', '^src/ingest/pull/', '^src/ingest/file-drop/'] },
  { name: 'privacy', paths: ['^src/privacy/'] },
  { name: 'admin', paths: ['^src/admin/'] },
  { name: 'composition-root', paths: ['^src/daemon/'] },
  { name: 'cli', paths: ['^src/cli/'] },
];

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} imports from a higher layer (${LAYERS.slice(i + 1).map((l) => l.name).join(', ')}); see the layer order in .dependency-cruiser.cjs`,
  severity: 'error',
  from: { path: layer.paths },
  to: { path: LAYERS.slice(i + 1).flatMap((l) => l.paths) },
}));

// Folders of one layer do not import each other either: with that, a loop between folders is
// impossible, not only a loop between files.
const siblingRules = LAYERS.filter((layer) => layer.paths.length > 1).flatMap((layer) =>
  layer.paths.map((path) => ({
    name: `layer-${layer.name}-siblings`,
    comment: `folders of the layer ${layer.name} do not import each other; see the layer order in .dependency-cruiser.cjs`,
    severity: 'error',
    from: { path },
    to: { path: layer.paths.filter((other) => other !== path) },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    ...siblingRules,
    {
      name: 'layer-unknown',
      comment: 'a module of src/ outside every layer: add its folder to the layer order in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.flatMap((l) => l.paths) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'a loop between modules: one of them belongs in a lower layer, or the shared part in a file of its own',
      severity: 'error',
      from: { path: '^(src|support|bench|chaos)/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-rigs',
      comment: 'the product never imports tests, benchmarks, chaos, fuzz, scripts or their support code',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|chaos|fuzz|scripts|support)/' },
    },
    {
      name: 'rigs-not-to-tests',
      comment: 'benchmarks, chaos and support/ share rig code through support/, never through test/',
      severity: 'error',
      from: { path: '^(bench|chaos|support)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no JavaScript API: swc parses, and type-only imports count like any other.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
