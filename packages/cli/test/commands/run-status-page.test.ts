/**
 * The /debug/plugins status page in a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core; the network is closed, so the page
 * must need nothing but its own origin): loaded against a running
 * `qplugin run`, it shows the provider, then its state changing after the
 * plugin is killed, and a plugin name and error text written to break out of
 * HTML stay plain text (no element, no script, no dialog). A screenshot is
 * written outside the repository (QPLUGIN_SCREENSHOT names the file).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { bundlePlugin, buildZip } from '../../src/packaging/index.js';
import type { BrowserContext, Page } from 'playwright-core';

import { HELLO_MAIN, scratch } from '../support/cli.js';
import { poll, rpc, startRun } from '../support/run.js';

const CHROMIUM = '/usr/bin/chromium';
/** Markup in a plugin name (settings and plugin-meta.json); no `/`, so it is also a file name. */
const HOSTILE_NAME = `<img src=x onerror="window.__pwned='name'">"'&amp;`;
/** Markup in a config value the plugin repeats in its Init error. */
const HOSTILE_LANGUAGE = `</td><script>window.__pwned='error'</script><b>bold</b>`;
/** A config value that must not reach the page. */
const TOKEN_VALUE = 'secret-token-0d9f3c';

function browserSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true' || process.env.REQUIRE_INTEROP === '1')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
  return `skipped: ${CHROMIUM} is not installed (apt-get install chromium; CI=true makes this a failure)`;
}

async function launch(): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'qp-chromium-'));
  after(() => import('node:fs').then((fs) => fs.rmSync(profile, { recursive: true, force: true })));
  // A fresh profile (--user-data-dir) per run, and nothing that reaches for the network.
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The little of the page's globals the test reads (this package has no DOM types). */
interface InPage {
  __pwned?: string;
  document: { querySelectorAll(selector: string): { length: number } };
}

const cell = (page: Page, field: string): Promise<string> =>
  page.locator(`tr[data-provider="helloworld"] td[data-field="${field}"]`).innerText();

describe('the /debug/plugins status page in Chromium', () => {
  const skip = browserSkip();
  it(
    'shows the provider, follows a kill and a failed reload, escapes hostile strings',
    { skip },
    async (t) => {
      const dir = scratch('qp-status-page-');
      const baseDir = join(dir, 'plugins');
      mkdirSync(baseDir);
      // A zip by hand: qplugin pack (rightly) refuses such a name, settings and plugin-meta.json do not.
      const program = await bundlePlugin(HELLO_MAIN);
      const meta = JSON.stringify({ entrypoint: 'hello.mjs', name: HOSTILE_NAME, version: '1.0.0' });
      writeFileSync(
        join(baseDir, `${HOSTILE_NAME}-1.0.0.zip`),
        await buildZip([
          { name: 'plugin-meta.json', data: Buffer.from(meta) },
          { name: 'hello.mjs', data: program, executable: true },
        ]),
      );
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ language: 'en' }));
      const settings = join(dir, 'settings.json');
      writeFileSync(
        settings,
        JSON.stringify({
          baseDir,
          providers: { helloworld: { name: HOSTILE_NAME, version: '1.0.0', config: `file://${config}` } },
        }),
      );
      const run = await startRun(settings, dir, [
        '--plugins.restart',
        'never',
        '--metrics',
        '--metrics.port',
        '0',
      ]);
      const base = run.ready.metrics as string;
      const context = await launch();
      try {
        const page = await context.newPage();
        const dialogs: string[] = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        const consoleErrors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') consoleErrors.push(m.text());
        });

        const response = await page.goto(`${base}/debug/plugins?refresh=250`);
        assert.equal(response?.status(), 200);
        assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
        await page.locator('tr[data-provider="helloworld"]').waitFor({ timeout: 30_000 });
        assert.equal(await cell(page, 'state'), 'ready');
        assert.equal((await cell(page, 'plugin')).split('\n')[0], HOSTILE_NAME, 'the name is shown as text');
        assert.match(await cell(page, 'pid'), /^\d+$/);
        assert.equal(await cell(page, 'restarts'), '0');
        assert.equal(await page.locator('#readiness').innerText(), 'ready');
        assert.equal(await page.locator('svg.chart').count(), 1, 'the activity chart is drawn');

        // Some traffic, then kill -9: with --plugins.restart never the page turns to failed.
        for (let i = 0; i < 20; i++) await rpc(false, run.url, 'plugin@helloworld_greeting', ['x']);
        const pid = Number(await cell(page, 'pid'));
        process.kill(pid, 'SIGKILL');
        await poll(async () => (await cell(page, 'state')) === 'failed', 30_000, 'the page to say failed');
        assert.equal(await cell(page, 'pid'), '–');
        assert.equal(await cell(page, 'error'), 'restart policy never (last: killed by SIGKILL)');
        assert.equal(await page.locator('#readiness').innerText(), 'not ready');

        // Reloads whose Init fails, quoting the config's language. Short markup (under the redaction
        // length) is shown as text; a longer value (it might be a secret) is shown redacted.
        const failReload = async (language: string, shown: string): Promise<void> => {
          writeFileSync(config, JSON.stringify({ language, token: TOKEN_VALUE }));
          const reload = await rpc(false, run.url, 'admin_reloadPlugin', ['helloworld']);
          assert.ok(reload.error, JSON.stringify(reload));
          const expected = `a requested restart failed (last: failed to start: rpc error: code = InvalidArgument desc = unsupported language: [${shown}])`;
          await poll(
            async () => (await cell(page, 'error')) === expected,
            30_000,
            `the page to show ${expected}`,
          );
        };
        await failReload('<b>', '<b>');
        await failReload(HOSTILE_LANGUAGE, '[redacted]');
        const status = await (await fetch(`${base}/debug/plugins/status`)).text();
        assert.ok(!status.includes('<'), 'the JSON escapes < (\\u003c)');
        assert.ok(
          !status.includes("__pwned='error'") && !status.includes(TOKEN_VALUE),
          'config values redacted',
        );
        assert.equal(await cell(page, 'state'), 'failed');
        // Run in the page (through the DevTools protocol, which the page's CSP does not govern).
        const dom = await page.evaluate(() => {
          const w = globalThis as unknown as InPage;
          const count = (selector: string): number => w.document.querySelectorAll(selector).length;
          return { pwned: w.__pwned ?? null, imgs: count('img'), scripts: count('script'), bold: count('b') };
        });
        assert.deepEqual(
          dom,
          { pwned: null, imgs: 0, scripts: 1, bold: 0 },
          'no injected element ran or exists',
        );
        assert.deepEqual(dialogs, []);
        assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
        const origins = new Set(requests.map((u) => new URL(u).origin));
        assert.deepEqual([...origins], [new URL(base).origin], 'the page loads nothing from elsewhere');

        const shot = process.env.QPLUGIN_SCREENSHOT ?? join(dir, 'status-page.png');
        await page.screenshot({ path: shot, fullPage: true });
        t.diagnostic(`screenshot: ${shot}`);
      } finally {
        await context.close();
        run.child.kill('SIGTERM');
        await once(run.child, 'exit');
      }
      assert.equal(run.child.exitCode, 0, run.stderr());
    },
  );
});
