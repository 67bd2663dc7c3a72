/**
 * A real Chromium (Debian's, driven by playwright-core), with a fresh profile per test, and screenshots kept
 * only when a test fails. Under CI=true a missing Chromium fails the suite (.ci/run installs it); elsewhere
 * the browser tests are skipped, loudly.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps calling Google's hosts, which this sandbox refuses;
 * `--headless` and `--no-sandbox` are added by playwright (headless: true, chromiumSandbox: false).
 */
const CHROMIUM_FLAGS = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Where screenshots go: `test-results/browser/<test>/NN-step.png`. */
const SCREENSHOTS = path.resolve('test-results', 'browser');

/** Call in a `before(function () { … })`: skips the suite loudly, or fails it under CI=true, without Chromium. */
export function requireChromium(context: Mocha.Context, file: string): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CI === 'true') throw new Error(`no Chromium at ${CHROMIUM_PATH}, and CI=true: .ci/run should have installed it`);
  process.stderr.write(
    `\n  !!! SKIPPING ${file}: no Chromium at ${CHROMIUM_PATH}.\n` +
      '  !!! Install it (apt-get install -y chromium fonts-noto-cjk), set CHROMIUM_PATH, or run .ci/run with CI=true.\n\n',
  );
  context.skip();
}

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors thrown by the pages' scripts: a page that breaks in the browser fails the test. */
  readonly pageErrors: Error[];
  /** Saves `NN-<name>.png` for this test; returns its path. */
  readonly screenshot: (name: string) => Promise<string>;
  /** Closes the browser; keeps the screenshots when `failed` (or KEEP_SCREENSHOTS=1) and says where they are. */
  readonly close: (failed: boolean) => Promise<void>;
}

/** A fresh browser with a new, empty `--user-data-dir`, as a phone that never saw the site. */
export async function openBrowser(testName: string): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(tmpdir(), 'kws-chromium-'));
  const shots = path.join(
    SCREENSHOTS,
    testName
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80),
  );
  await rm(shots, { recursive: true, force: true });
  await mkdir(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    // A phone-sized window: the pages are meant for WeChat's in-app browser.
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    locale: 'zh-CN',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  let step = 0;
  return {
    context,
    page,
    pageErrors,
    screenshot: async (name) => {
      step += 1;
      const file = path.join(shots, `${String(step).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async (failed) => {
      if (failed) await page.screenshot({ path: path.join(shots, 'failed.png'), fullPage: true }).catch(() => undefined);
      await context.close();
      await rm(profile, { recursive: true, force: true });
      if (failed || process.env.KEEP_SCREENSHOTS === '1') process.stderr.write(`  screenshots kept in ${path.relative(process.cwd(), shots)}\n`);
      else await rm(shots, { recursive: true, force: true });
    },
  };
}
