/** Every qplugin command, in the order `qplugin --help` lists them. */
import type { Command } from '../command.js';
import { demo } from './demo.js';
import { run } from './run.js';

export const commands: readonly Command[] = [run, demo];
