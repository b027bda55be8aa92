// Experiment (not part of `npm run bench`): where a TS plugin's per-call
// garbage comes from. A plugin entry that starts V8's sampling heap profiler
// (every allocation, scavenged ones too), then runs the hello world
// plugin; when the host kills it, the top allocation sites and the bytes per
// call go to $ALLOC_OUT (default /tmp/plugin-alloc.txt). Drive it with a Go host:
//   bench/dist/cache/gobench latency -n 30000 -warmup 100 -- \
//     node --max-semi-space-size=4 bench/experiments/plugin-alloc.mjs
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: 1024,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
let calls = 0;
const depth = Number(process.env.DEPTH ?? 1);
// The hello world answers each Greeting once; count them from its own logger line-free path: wrap the writes.
process.on('exit', () => {
  // An in-thread inspector session answers synchronously, so this works in 'exit'.
  session.post('HeapProfiler.stopSampling', (err, res) => {
    if (err) return;
    const agg = new Map();
    const walk = (n, stack) => {
      const f = n.callFrame;
      const here = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      const key = [here, ...stack].slice(0, depth).join(' < ');
      if (n.selfSize) agg.set(key, (agg.get(key) ?? 0) + n.selfSize);
      for (const c of n.children) walk(c, [here, ...stack]);
    };
    walk(res.profile.head, []);
    const total = [...agg.values()].reduce((a, b) => a + b, 0);
    calls = Number(process.env.CALLS ?? 30000);
    const lines = [
      `sampled ${(total / 1024).toFixed(0)} KB, ${(total / calls).toFixed(0)} B per call (${calls} calls)`,
    ];
    for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30)))
      lines.push(`${(v / 1024).toFixed(0).padStart(7)} KB ${k}`);
    writeFileSync(process.env.ALLOC_OUT ?? '/tmp/plugin-alloc.txt', lines.join('\n') + '\n');
  });
});
// The unbundled plugin, so the sites carry our file names (PLUGIN= another entry).
await import(
  process.env.PLUGIN ?? new URL('../../examples/helloworld/dist/src/main.js', import.meta.url).href
);
