import { afterAll, beforeAll } from 'vitest';
import { createBrowserBackend } from '../../agents/browser/backend';
import { launchBrowser, type LaunchedBrowser } from '../../agents/browser/launch';
import { startPageServer, type PageServer } from '../agents/browser/helpers/page-server';
import { describeBackendConformance } from './device-backend.case';

// The browser backend: headless Chromium (Playwright's own, else Debian's /usr/bin/chromium)
// measuring in the bench page with onnxruntime-web (wasm), served cross-origin isolated.
let pages: PageServer;
let browser: LaunchedBrowser;

beforeAll(async () => {
  pages = await startPageServer();
  browser = await launchBrowser({ browser: 'chromium' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
});

describeBackendConformance('browser (onnxruntime-web wasm in headless Chromium)', () => createBrowserBackend({ server: pages.url, context: browser.context }), {
  timeoutMs: 120_000,
  abortWithinMs: 10_000,
});
