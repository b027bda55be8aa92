#!/usr/bin/env node
// Launcher for the compiled CLI (kept out of dist/ so it can carry the exec bit).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
