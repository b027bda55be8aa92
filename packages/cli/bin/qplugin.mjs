#!/usr/bin/env node
// Launcher for the compiled CLI (kept out of dist/ so it can carry the exec bit).
// `qplugin run` may replace this process first (dist/src/relaunch.js), before anything else loads.
const { relaunchWithNodeFlags } = await import('../dist/src/relaunch.js');
relaunchWithNodeFlags();
const { runCli } = await import('../dist/src/main.js');

await runCli(process.argv.slice(2));
