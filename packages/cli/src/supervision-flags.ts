/**
 * `qplugin run`'s supervision flags: what happens when a plugin process dies
 * or stops answering (restart policy, backoff, crash budget, health checks)
 * and how long JSON-RPC calls wait for a restart.
 */
import { RESTART_POLICIES, SUPERVISOR_DEFAULTS } from '@qplugin/go-plugin/host';
import { checkSupervisorOptions } from '@qplugin/go-plugin/internal';
import type { RestartPolicy } from '@qplugin/go-plugin/host';
import { isGoPluginError } from '@qplugin/go-plugin/protocol';

import type { SupervisionOptions } from '@qplugin/quorum';
import { str, UsageError } from './args.js';
import type { OptionSpecs, Parsed } from './args.js';

const d = SUPERVISOR_DEFAULTS;

/** Flag → supervisor option, for numbers. */
const NUMERIC: Readonly<Record<string, keyof typeof SUPERVISOR_DEFAULTS>> = {
  'plugins.restart.backoff': 'initialBackoffMs',
  'plugins.restart.maxbackoff': 'maxBackoffMs',
  'plugins.restart.maxcrashes': 'maxCrashes',
  'plugins.restart.window': 'crashWindowMs',
  'plugins.health.interval': 'healthIntervalMs',
  'plugins.health.timeout': 'healthTimeoutMs',
  'plugins.health.misses': 'healthMisses',
  'plugins.callwait': 'maxCallWaitMs',
};

export const SUPERVISION_FLAGS: OptionSpecs = {
  'plugins.restart': {
    type: 'string',
    value: 'POLICY',
    description: 'restart a plugin process that dies: never, on-failure (not after exit code 0) or always',
    default: d.restart,
  },
  'plugins.restart.backoff': {
    type: 'string',
    value: 'MS',
    description: 'delay before a restart; doubles with each further crash in the window (±20% jitter)',
    default: String(d.initialBackoffMs),
  },
  'plugins.restart.maxbackoff': {
    type: 'string',
    value: 'MS',
    description: 'longest delay before a restart',
    default: String(d.maxBackoffMs),
  },
  'plugins.restart.maxcrashes': {
    type: 'string',
    value: 'N',
    description: 'give up (state failed, calls fail at once) at the Nth crash within the window',
    default: String(d.maxCrashes),
  },
  'plugins.restart.window': {
    type: 'string',
    value: 'MS',
    description: 'the crash budget window',
    default: String(d.crashWindowMs),
  },
  'plugins.health.interval': {
    type: 'string',
    value: 'MS',
    description: 'health check every MS (0: off)',
    default: String(d.healthIntervalMs),
  },
  'plugins.health.timeout': {
    type: 'string',
    value: 'MS',
    description: 'a health check not answered within MS is a miss',
    default: String(d.healthTimeoutMs),
  },
  'plugins.health.misses': {
    type: 'string',
    value: 'N',
    description: 'misses in a row before the plugin is killed and restarted',
    default: String(d.healthMisses),
  },
  'plugins.callwait': {
    type: 'string',
    value: 'MS',
    description: 'longest a call waits for a plugin that is restarting',
    default: String(d.maxCallWaitMs),
  },
};

export function supervisionFromFlags(values: Parsed['values']): SupervisionOptions {
  const options: SupervisionOptions = {};
  const restart = str(values['plugins.restart']);
  if (restart !== undefined) {
    if (!RESTART_POLICIES.includes(restart as RestartPolicy))
      throw new UsageError(`--plugins.restart must be one of ${RESTART_POLICIES.join(', ')}, not ${restart}`);
    options.restart = restart as RestartPolicy;
  }
  for (const [flag, field] of Object.entries(NUMERIC)) {
    const text = str(values[flag]);
    if (text === undefined) continue;
    if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} must be a whole number, not ${text}`);
    (options as Record<string, number>)[field] = Number(text);
  }
  try {
    checkSupervisorOptions(options);
  } catch (err) {
    if (!isGoPluginError(err, 'INVALID_OPTIONS')) throw err;
    // The supervisor names its fields; say which flags they are.
    let message = err.message.replace(/^supervisor option /, '');
    for (const [flag, field] of Object.entries(NUMERIC))
      message = message.replace(new RegExp(`\\b${field}\\b`, 'g'), `--${flag}`);
    throw new UsageError(message);
  }
  return options;
}
