/**
 * Renders the central path templates. geth runs Go text/template over
 * {Name, Version, OS, Arch}; plugin path templates only ever use those four
 * fields, so a tiny renderer covers them. Anything else is refused rather than
 * guessed at, and callers may inject a full Go-template renderer instead.
 */
import { QuorumError } from '../errors.js';

export interface TemplateData {
  Name: string;
  Version: string;
  OS: string;
  Arch: string;
}

export type TemplateRenderer = (template: string, data: TemplateData) => string;

const ACTION = /\{\{\s*(.*?)\s*\}\}/g;
const FIELD = /^\.(Name|Version|OS|Arch)$/;

/** `{{.Name}}`, `{{ .Version }}`, `{{.OS}}`, `{{.Arch}}`; any other action is an error. */
export const renderTemplate: TemplateRenderer = (template, data) => {
  const out = template.replace(ACTION, (action: string, body: string) => {
    const field = FIELD.exec(body)?.[1] as keyof TemplateData | undefined;
    if (field === undefined) {
      throw new QuorumError(
        'DIST_URL',
        `template: unsupported action ${action} in ${JSON.stringify(template)}`,
        {
          fix: 'Use only {{.Name}}, {{.Version}}, {{.OS}} and {{.Arch}} in central path templates.',
          details: { template, action },
        },
      );
    }
    return data[field];
  });
  // An unbalanced "{{" would be a Go template parse error; fail the same way.
  if (out.includes('{{')) {
    throw new QuorumError('DIST_URL', `template: unclosed action in ${JSON.stringify(template)}`, {
      details: { template },
    });
  }
  return out;
};
