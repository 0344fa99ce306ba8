// Runs in the image's build stage, after `npm prune --omit=dev`: removes from node_modules what
// only installing needs, so the runtime image stays within its size budget (≤ 50 MB over the base).
//  - libxmljs2 depends on node-gyp and prebuild-install to build its addon at install time; the
//    built addon is all it loads at run time, so those two and every package only they need go;
//    so do optional peer dependencies nothing else requires.
//  - sodium-native (through @fastify/secure-session) ships prebuilt addons for 13 platforms; only
//    this platform's is loaded.
// What stays is every package reachable from package.json's dependencies the way Node resolves
// them (nearest node_modules upwards), so nothing the daemon can require is removed.
// Usage: node scripts/prune-runtime.mjs [--dry-run]
import fs from 'node:fs';
import path from 'node:path';

const INSTALL_ONLY = { libxmljs2: ['node-gyp', 'prebuild-install'] };
const root = process.cwd();
const dryRun = process.argv.includes('--dry-run');

const readManifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

/** The folder Node would load `name` from when required from `fromDir`, or null if none. */
function resolvePackage(fromDir, name) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

const reached = new Set();
const queue = [root];
while (queue.length > 0) {
  const dir = queue.pop();
  const manifest = readManifest(dir);
  const skip = new Set(INSTALL_ONLY[manifest.name] ?? []);
  // An optional peer (valibot's `typescript`, for its types) is the package's own choice not to
  // need it; npm installs it all the same.
  const optionalPeers = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, m]) => m?.optional).map(([n]) => n));
  const names = dir === root
    ? Object.keys(manifest.dependencies ?? {})
    : [
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
      ];
  for (const name of names) {
    if (skip.has(name)) continue;
    const found = resolvePackage(dir, name);
    if (found !== null && !reached.has(found)) { reached.add(found); queue.push(found); }
  }
}

/** Every installed package folder, nested node_modules included. */
function installed(dir, out = []) {
  const modules = path.join(dir, 'node_modules');
  if (!fs.existsSync(modules)) return out;
  for (const entry of fs.readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const folders = entry.startsWith('@') ? fs.readdirSync(path.join(modules, entry)).map((e) => path.join(modules, entry, e)) : [path.join(modules, entry)];
    for (const folder of folders) {
      if (!fs.existsSync(path.join(folder, 'package.json'))) continue;
      out.push(folder);
      installed(folder, out);
    }
  }
  return out;
}

let removed = 0;
for (const folder of installed(root)) {
  if (reached.has(folder) || !fs.existsSync(folder)) continue;
  removed++;
  if (dryRun) console.log(`unused at run time: ${path.relative(root, folder)}`);
  else fs.rmSync(folder, { recursive: true, force: true });
}

const platform = `${process.platform}-${process.arch}`;
const prebuilds = path.join(root, 'node_modules', 'sodium-native', 'prebuilds');
let otherPlatforms = 0;
if (fs.existsSync(prebuilds)) {
  for (const entry of fs.readdirSync(prebuilds)) {
    if (entry === platform) continue;
    otherPlatforms++;
    if (!dryRun) fs.rmSync(path.join(prebuilds, entry), { recursive: true, force: true });
  }
}
console.log(`prune-runtime: ${removed} install-only packages and ${otherPlatforms} other platforms' sodium-native builds ${dryRun ? 'would be removed' : 'removed'}`);
