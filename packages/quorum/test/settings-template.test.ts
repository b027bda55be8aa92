/** renderTemplate: the Go text/template subset of Plugin Central path templates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { QuorumError } from '../src/errors.js';
import { defaultCentral, renderTemplate } from '../src/settings/index.js';

const values = { Name: 'quorum-plugin-hello-world', Version: '1.0.0', OS: 'linux', Arch: 'amd64' };

describe('renderTemplate', () => {
  it('renders the default templates like central_test.go expects', () => {
    const central = defaultCentral();
    assert.equal(
      renderTemplate(central.pluginDistPathTemplate, values),
      'maven/bin/quorum-plugin-hello-world/1.0.0/quorum-plugin-hello-world-1.0.0-linux-amd64.zip',
    );
    assert.equal(
      renderTemplate(central.pluginSigPathTemplate, values),
      'maven/bin/quorum-plugin-hello-world/1.0.0/quorum-plugin-hello-world-1.0.0-linux-amd64-sha256.checksum.asc',
    );
  });

  it('accepts spaces inside actions, trim markers and comments', () => {
    assert.equal(renderTemplate('{{ .Name }}/{{.Version}}', values), 'quorum-plugin-hello-world/1.0.0');
    assert.equal(renderTemplate('a  \n {{- .OS -}} \t b', values), 'alinuxb');
    assert.equal(renderTemplate('a {{- .OS}} b', values), 'alinux b');
    assert.equal(renderTemplate('x{{/* note */}}y{{- /* trimmed */ -}} z', values), 'xyz');
    assert.equal(renderTemplate('no actions }} here', values), 'no actions }} here');
  });

  const failures: [string, string, string][] = [
    ['{{.name}}', 'unknown field .name (known: .Name .Version .OS .Arch)', '{{.name}}'],
    ['a/{{.Name', 'unclosed action', ''],
    ['{{}}', 'missing value for command', '{{}}'],
    [
      '{{.Name | printf "%s"}}',
      'unsupported action {{.Name | printf "%s"}} (only fields are supported)',
      '{{.Name | printf "%s"}}',
    ],
    ['{{if .Name}}x{{end}}', 'unsupported action {{if .Name}} (only fields are supported)', '{{if .Name}}'],
    ['{{/* open }}', 'unclosed comment', '{{/* open }}'],
  ];
  for (const [template, problem, action] of failures) {
    it(`rejects ${template}: ${problem}`, () => {
      assert.throws(
        () => renderTemplate(template, values, { file: 's.json', path: 'central.pluginDistPathTemplate' }),
        (err: unknown) =>
          err instanceof QuorumError &&
          err.code === 'SETTINGS_PARSE' &&
          err.message.startsWith(`template: ${problem} in ${JSON.stringify(template)} at offset `) &&
          err.details['template'] === template &&
          err.details['path'] === 'central.pluginDistPathTemplate' &&
          (action === '' ? err.details['action'] === undefined : err.details['action'] === action),
      );
    });
  }
});
