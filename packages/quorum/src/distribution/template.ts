/**
 * Central path templates are rendered by the settings layer's Go-template
 * subset ({{.Name}} {{.Version}} {{.OS}} {{.Arch}}); callers may inject
 * another renderer.
 */
import { renderTemplate as renderGoTemplate } from '../settings/template.js';
import type { TemplateValues } from '../settings/template.js';

export type TemplateData = TemplateValues;

export type TemplateRenderer = (template: string, data: TemplateData) => string;

export const renderTemplate: TemplateRenderer = (template, data) => renderGoTemplate(template, data);
