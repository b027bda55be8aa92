// Experiment (not part of `npm run bench`): which allocation sites of the TS
// host's call path make objects that survive a scavenge (promoted to V8's old
// generation). A Go plugin, 2,000 warm-up calls, then 30,000 sequential calls
// under the sampling heap profiler with objects that died in a minor GC left
// out; prints the top sites by bytes, four frames each (bench/findings.md §24).
//   node --max-semi-space-size=4 bench/experiments/promoted-allocations.mjs
import { Session } from 'node:inspector/promises';
import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';
const client = new PluginClient({ command: 'interop/go/bin/v1.8.0/plugin', handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const g = client.client(PluginGreeting);
for (let i = 0; i < 2000; i++) await g.greeting({ msg: 'Quorum' }, { deadline: 30000 });
const s = new Session();
s.connect();
await s.post('HeapProfiler.enable');
await s.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: false,
});
for (let i = 0; i < 30000; i++) await g.greeting({ msg: 'Quorum' }, { deadline: 30000 });
const { profile } = await s.post('HeapProfiler.stopSampling');
await client.kill();
// aggregate self size by top 3 frames
const agg = new Map();
function walk(n, stack) {
  const f = n.callFrame;
  const here = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const st = [here, ...stack].slice(0, 4);
  if (n.selfSize) agg.set(st.join(' < '), (agg.get(st.join(' < ')) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c, st);
}
walk(profile.head, []);
const tot = [...agg.values()].reduce((a, b) => a + b, 0);
console.log('total sampled surviving-minor-GC bytes', (tot / 1048576).toFixed(1), 'MB over 30000 calls');
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log((v / 1048576).toFixed(2).padStart(7), k);
