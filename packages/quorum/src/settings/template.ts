/**
 * The subset of Go's text/template that Plugin Central path templates use:
 * literal text and `{{.Name}}`, `{{.Version}}`, `{{.OS}}`, `{{.Arch}}`, with
 * optional trim markers (`{{- ` / ` -}}`) and comments. Anything else is
 * rejected with a clear error rather than rendered differently from Go.
 */
import { fail } from './fail.js';
import type { Where } from './fail.js';
import { shortText } from './value-tree.js';

export interface TemplateValues {
  Name: string;
  Version: string;
  OS: string;
  Arch: string;
}

const FIELDS: readonly (keyof TemplateValues)[] = ['Name', 'Version', 'OS', 'Arch'];
/** Go's trim markers need a space-class character next to the dash (`{{-3}}` is a number). */
const SPACE = /[ \t\r\n]/;

/** Renders `template`; throws SETTINGS_PARSE with `details.template` on anything outside the subset. */
export function renderTemplate(template: string, values: TemplateValues, where?: Where): string {
  const bad = (problem: string, offset: number, action?: string): never => {
    // A hostile template (or action in it) is cut short in the text; details keep it whole.
    const quoted = shortText(JSON.stringify(template));
    throw fail('SETTINGS_PARSE', `template: ${problem} in ${quoted} at offset ${offset}`, {
      where,
      found: action === undefined ? undefined : JSON.stringify(action),
      expected: `literal text and {{.Name}}, {{.Version}}, {{.OS}}, {{.Arch}}`,
      details: { template, offset, ...(action === undefined ? {} : { action }) },
    });
  };
  const out: string[] = [];
  let pos = 0;
  let trimNext = false;
  for (;;) {
    const open = template.indexOf('{{', pos);
    let text = template.slice(pos, open < 0 ? template.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      out.push(text);
      return out.join('');
    }
    const close = template.indexOf('}}', open + 2);
    if (close < 0) return bad('unclosed action', open);
    let inner = template.slice(open + 2, close);
    const action = template.slice(open, close + 2);
    if (inner.length >= 2 && inner.charAt(0) === '-' && SPACE.test(inner.charAt(1))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner = inner.slice(1);
    }
    trimNext =
      inner.length >= 2 &&
      inner.charAt(inner.length - 1) === '-' &&
      SPACE.test(inner.charAt(inner.length - 2));
    if (trimNext) inner = inner.slice(0, -1);
    out.push(text);
    out.push(renderAction(inner.trim(), values, (problem) => bad(problem, open, action)));
    pos = close + 2;
  }
}

function renderAction(body: string, values: TemplateValues, bad: (problem: string) => never): string {
  if (body.startsWith('/*')) {
    return body.endsWith('*/') && body.length >= 4 ? '' : bad('unclosed comment');
  }
  if (body === '') return bad('missing value for command');
  const match = /^\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(body);
  if (match === null)
    return bad(`unsupported action {{${shortText(body, 100)}}} (only fields are supported)`);
  const field = FIELDS.find((name) => name === match[1]);
  if (field === undefined)
    return bad(`unknown field .${shortText(match[1] ?? '', 100)} (known: .Name .Version .OS .Arch)`);
  return values[field];
}
