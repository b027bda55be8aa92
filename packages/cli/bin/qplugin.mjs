#!/usr/bin/env node
// Launcher for the compiled CLI (kept out of dist/ so it can carry the exec bit).
import { runCli } from '../dist/src/main.js';

await runCli(process.argv.slice(2));
