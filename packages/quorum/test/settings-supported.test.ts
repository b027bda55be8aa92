/** checkSettingsAreSupported: settings_test.go's three cases, with geth's text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { QuorumError } from '../src/errors.js';
import { checkSettingsAreSupported, defaultCentral } from '../src/settings/index.js';
import type { InterfaceName, Settings } from '../src/settings/index.js';

function settings(...names: InterfaceName[]): Settings {
  return {
    baseDir: '/tmp/plugins',
    central: defaultCentral(),
    providers: new Map(names.map((name) => [name, { name: `${name}-plugin`, version: '1.0.0' }])),
    source: '/tmp/settings.json',
  };
}

function rejectsWith(s: Settings, supported: InterfaceName[], pattern: RegExp): QuorumError {
  let caught: unknown;
  assert.throws(
    () => checkSettingsAreSupported(s, supported),
    (err: unknown) => {
      caught = err;
      return (
        err instanceof QuorumError &&
        err.code === 'SETTINGS_UNSUPPORTED_INTERFACE' &&
        pattern.test(err.message)
      );
    },
  );
  return caught as QuorumError;
}

describe('checkSettingsAreSupported', () => {
  it('all supported: no error', () => {
    checkSettingsAreSupported(settings('account', 'helloworld'), ['account', 'helloworld']);
    checkSettingsAreSupported(settings(), ['account']);
  });

  it('none supported: every name once', () => {
    const err = rejectsWith(
      settings('account', 'helloworld'),
      ['security'],
      /^unsupported plugins configured: \[(account|helloworld) (account|helloworld)\] \(/,
    );
    assert.deepEqual([...(err.details['unsupported'] as string[])].sort(), ['account', 'helloworld']);
  });

  it('some supported: exactly the unsupported one', () => {
    const err = rejectsWith(
      settings('account', 'helloworld'),
      ['account'],
      /^unsupported plugins configured: \[helloworld\] \(/,
    );
    assert.equal(err.details['file'], '/tmp/settings.json');
    assert.deepEqual(err.details['supported'], ['account']);
  });
});
