#!/usr/bin/env node
// Rewrites the generated reference section of docs/cli.md (every command's
// --help) from the command definitions. Run after `tsc -b` (`npm run docs:cli`);
// packages/cli/test/help.test.ts fails when the committed doc is stale.
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = new URL('../', import.meta.url);
const { reference, withReference } = await import(new URL('dist/src/help.js', pkg).href);
const doc = new URL('../../docs/cli.md', pkg);
writeFileSync(doc, withReference(readFileSync(doc, 'utf8'), await reference()));
