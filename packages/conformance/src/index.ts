/**
 * @qplugin/conformance: check a go-plugin plugin or host written in any
 * language against the rules of docs/protocol.md.
 */
export { RULES, rule } from './rules.js';
export type { Rule, RuleLevel, RuleRole } from './rules.js';
export { Point, quote, results } from './points.js';
export type { Finding, FindingStatus, PointResult, PointStatus } from './points.js';
export { formatReport, summarize } from './report.js';
export type { Summary } from './report.js';
export { KIT_PRESETS, KV_PRESET, TERRAFORM_PRESET, parseCookie, parseVersions } from './presets.js';
export type { HostProfile, Preset } from './presets.js';
export { GO_PLUGIN_MODULE, GRPC_MODULE, olderThan, readGoBuildInfo, resolveCommand } from './go-buildinfo.js';
export type { GoBuildInfo } from './go-buildinfo.js';
export { runPluginCheck } from './plugin-check/runner.js';
export type { ExtraPoint, PluginCheckOptions, PluginCheckReport } from './plugin-check/runner.js';
export { CALL_MS } from './plugin-check/health.js';
export { readCertificateRequest, GO_PLUGIN_SCHEME } from './tls/certificate-request.js';
export type { CertificateRequestInfo } from './tls/certificate-request.js';
export { runHostCheck, runHostCheckManual } from './host-check/runner.js';
export type {
  HostCheckOptions,
  HostCheckReport,
  ManualHostCheckOptions,
  RunSummary,
} from './host-check/runner.js';
export { SCENARIOS } from './host-check/messages.js';
export type { ScenarioName } from './host-check/messages.js';
