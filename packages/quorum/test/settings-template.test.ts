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

  // Found by the settings fuzz: a 9,000-character template gave an 18,000-character message.
  const long = 'y'.repeat(5000);
  const hostile: [string, RegExp][] = [
    [
      `{{.Ar}/${'{{.Ar}/'.repeat(1000)}{{.Arch}}`,
      /^template: unsupported action \{\{\.Ar\}\/\{\{.{93}\.\.\. \(7012 characters\)\}\} .* at offset 0 /,
    ],
    [`{{.${long}}}`, /^template: unknown field \.y{100}\.\.\. \(5000 characters\) \(known: /],
    [
      `${long}{{if}}`,
      /^template: unsupported action \{\{if\}\} .* in "y{199}\.\.\. \(5008 characters\) at offset 5000 /,
    ],
  ];
  for (const [template, message] of hostile) {
    it(`cuts a hostile template short in the message (${template.length} characters), keeps it in details`, () => {
      assert.throws(
        () => renderTemplate(template, values),
        (err: unknown) =>
          err instanceof QuorumError &&
          message.test(err.message) &&
          err.message.length < 1_000 &&
          err.details['template'] === template,
      );
    });
  }
});
