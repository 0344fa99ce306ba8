/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. the daemon child of
 * `BENCH_CPU_PROF=<dir> npm run bench`): self time by function, self time by package/file,
 * inclusive time by function, and self time attributed to the innermost partnerd (src/) frame.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile | dir> [--from µs --to µs] [--top 25] [--orders N]
 *                                    [--focus <text>]
 *
 * --focus also breaks down, for every function whose "name file:line" contains <text>, the self
 * time beneath it by package/file and by function (e.g. --focus logEvent).
 * A directory means its largest .cpuprofile (with `--import tsx` the loader thread writes a second, small one).
 *
 * --from/--to cut the profile to a window in CLOCK_MONOTONIC µs (bench.ts prints the measured
 * window); --orders turns times into µs per order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const positional: string[] = [];
const flags = new Map<string, string>();
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) flags.set(a.slice(2), argv[++i] ?? '');
    else positional.push(a);
  }
}
const num = (name: string): number | undefined => (flags.has(name) ? Number(flags.get(name)) : undefined);
const fromArg = num('from');
const toArg = num('to');
const top = num('top') ?? 25;
const orders = num('orders');
const focus = flags.get('focus');
let file = positional[0];
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile | dir> [--from µs --to µs] [--top N] [--orders N]\n');
  process.exit(2);
}
if (statSync(file).isDirectory()) {
  const dir = file;
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f: join(dir, f), m: statSync(join(dir, f)).size }))
    .sort((a, b) => b.m - a.m)[0];
  if (!newest) throw new Error(`no .cpuprofile in ${dir}`);
  file = newest.f;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

const ROOT = process.cwd();
function shortUrl(url: string): string {
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(ROOT + '/')) u = u.slice(ROOT.length + 1);
  return u;
}
function fnKey(n: ProfileNode): string {
  const f = n.callFrame;
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}
function category(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native/builtin)';
  if (url.startsWith('node:')) return 'node core';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return m[1]!;
  const s = /\/(src\/.*)$/.exec(url);
  if (s) return s[1]!;
  return shortUrl(url);
}
const isPartnerd = (n: ProfileNode) => n.callFrame.url.includes('/src/') && !n.callFrame.url.includes('/node_modules/');

// Sample times (µs, CLOCK_MONOTONIC like process.hrtime) and durations (time to the next sample).
const times: number[] = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) { t += d; times.push(t); }
const lo = fromArg ?? -Infinity;
const hi = toArg ?? Infinity;

const self = new Map<string, number>();
const cats = new Map<string, number>();
const incl = new Map<string, number>();
const attributed = new Map<string, number>();
const focusCats = new Map<string, number>();
const focusSelf = new Map<string, number>();
const focusCallers = new Map<string, number>();
let focusTotal = 0;
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const at = times[i]!;
  if (at < lo || at > hi) continue;
  const dur = i + 1 < times.length ? times[i + 1]! - at : 0;
  const node = byId.get(profile.samples[i]!)!;
  if (node.callFrame.functionName === '(idle)') { idle += dur; continue; }
  total += dur;
  self.set(fnKey(node), (self.get(fnKey(node)) ?? 0) + dur);
  cats.set(category(node), (cats.get(category(node)) ?? 0) + dur);
  const seen = new Set<string>();
  let attributedTo: string | undefined;
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id)!;
    const k = fnKey(n);
    if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + dur); }
    if (attributedTo === undefined && isPartnerd(n)) attributedTo = k;
  }
  if (focus !== undefined) {
    // The outermost matching frame, and who called it (the nearest frame above it outside node core).
    let match: number | undefined;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) if (fnKey(byId.get(id)!).includes(focus)) match = id;
    if (match !== undefined) {
      focusTotal += dur;
      focusCats.set(category(node), (focusCats.get(category(node)) ?? 0) + dur);
      focusSelf.set(fnKey(node), (focusSelf.get(fnKey(node)) ?? 0) + dur);
      let caller = parent.get(match);
      while (caller !== undefined && ['node core', '(native/builtin)'].includes(category(byId.get(caller)!))) caller = parent.get(caller);
      const ck = caller !== undefined ? fnKey(byId.get(caller)!) : '(none)';
      focusCallers.set(ck, (focusCallers.get(ck) ?? 0) + dur);
    }
  }
  const a = attributedTo ?? `(no partnerd frame) ${category(node)}`;
  attributed.set(a, (attributed.get(a) ?? 0) + dur);
}

const fmt = (us: number) => {
  const pct = total > 0 ? ((100 * us) / total).toFixed(1).padStart(5) : '  n/a';
  const ms = (us / 1000).toFixed(1).padStart(8);
  const per = orders ? `  ${(us / orders).toFixed(1).padStart(7)} µs/order` : '';
  return `${ms} ms ${pct} %${per}`;
};
function table(title: string, m: Map<string, number>, n = top): void {
  process.stdout.write(`\n== ${title}\n`);
  for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${fmt(v)}  ${k}\n`);
}

process.stdout.write(`profile ${file}\n`);
process.stdout.write(`window: ${Number.isFinite(lo) ? lo : 'start'} .. ${Number.isFinite(hi) ? hi : 'end'}; busy ${(total / 1000).toFixed(1)} ms, idle ${(idle / 1000).toFixed(1)} ms${orders ? `; ${(total / orders).toFixed(1)} µs busy per order (main thread)` : ''}\n`);
table('self time by package / file', cats, 40);
table('self time by function', self);
table('inclusive time by function', incl);
table('self time attributed to the innermost partnerd (src/) frame', attributed);
if (focus !== undefined) {
  process.stdout.write(`\n== focus "${focus}": ${fmt(focusTotal)} inclusive\n`);
  table(`  beneath "${focus}": self time by package / file`, focusCats, 20);
  table(`  beneath "${focus}": self time by function`, focusSelf, top);
  table(`  "${focus}" called from (nearest frame outside node core)`, focusCallers, 15);
}
