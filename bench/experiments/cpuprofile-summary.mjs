// Summarises a V8 .cpuprofile (node --cpu-prof): self time per package, the
// top functions by self time, and the top functions by inclusive time (time
// with the function anywhere on the stack). How the findings were made, e.g.:
//   node --cpu-prof --cpu-prof-dir=/tmp/p bench/dist/ts-host.js latency -n 10000 -- interop/go/bin/v1.8.0/plugin
//   bench/dist/cache/gobench latency -n 10000 -- node --cpu-prof --cpu-prof-dir=/tmp/p bench/dist/cache/helloworld.mjs
//   node bench/experiments/cpuprofile-summary.mjs /tmp/p/*.cpuprofile [callers-of-function]
import { readFileSync } from 'node:fs';

const [file, callersOf] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));

const group = (url) => {
  if (!url) return '(native, gc, idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg ${pkg[1]}`;
  const ours = /\/(packages\/[^/]+|examples\/[^/]+|bench)\//.exec(url);
  if (ours) return `ours ${ours[1]}`;
  return url.startsWith('node:') ? 'node internals' : url.slice(-60);
};
const name = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url.split('/').pop()}:${cf.lineNumber}`;
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
const ms = (us) => (us / 1000).toFixed(1).padStart(9);

const byGroup = new Map();
const byFn = new Map();
const inclusive = new Map();
const callers = new Map();
for (const [id, t] of self) {
  const cf = nodes.get(id).callFrame;
  add(byGroup, group(cf.url), t);
  add(byFn, name(cf), t);
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) seen.add(name(nodes.get(p).callFrame));
  for (const f of seen) add(inclusive, f, t);
  if (callersOf && cf.functionName === callersOf) {
    const chain = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 4; p = parent.get(p))
      chain.push(name(nodes.get(p).callFrame));
    add(callers, chain.join(' <- '), t);
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`total ${ms(total)} ms`);
console.log('\nself time by package');
for (const [k, v] of top(byGroup, 15)) console.log(`${ms(v)} ms  ${k}`);
console.log('\nself time by function');
for (const [k, v] of top(byFn, 20)) console.log(`${ms(v)} ms  ${k}`);
console.log('\ninclusive time by function');
for (const [k, v] of top(inclusive, 30)) console.log(`${ms(v)} ms  ${k}`);
if (callersOf) {
  console.log(`\ncallers of ${callersOf} (self time)`);
  for (const [k, v] of top(callers, 8)) console.log(`${ms(v)} ms  ${k}`);
}
