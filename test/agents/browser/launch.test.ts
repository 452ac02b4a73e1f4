import { describe, expect, it } from 'vitest';
import { browserCandidates, chromiumArgs, SYSTEM_CHROMIUM } from '../../../agents/browser/launch';

describe('finding a browser', () => {
  it('prefers --executable, then Playwright\'s own build, then a system Chromium', () => {
    const all = () => true;
    expect(browserCandidates('chromium', '/opt/chrome', all)).toEqual([{ name: 'chromium', executablePath: '/opt/chrome', source: 'executable flag' }]);
    const found = browserCandidates('chromium', undefined, all);
    expect(found[0]).toEqual({ name: 'chromium', executablePath: undefined, source: 'playwright' });
    expect(found.slice(1).map((c) => c.executablePath)).toEqual(SYSTEM_CHROMIUM);
    expect(browserCandidates('chromium', undefined, (p) => p === '/usr/bin/chromium')).toEqual([{ name: 'chromium', executablePath: '/usr/bin/chromium', source: 'system' }]);
  });

  it('says how to install a missing browser', () => {
    const none = () => false;
    expect(() => browserCandidates('firefox', undefined, none)).toThrow(/Playwright's firefox is not installed .*npx playwright-core install firefox/);
    expect(() => browserCandidates('webkit', undefined, none)).toThrow(/npx playwright-core install webkit/);
    expect(() => browserCandidates('chromium', undefined, none)).toThrow(/no chromium found: .*\/usr\/bin\/chromium.*apt-get install chromium/);
    expect(() => browserCandidates('chromium', '/nope/chrome', none)).toThrow('--executable /nope/chrome does not exist');
    // Firefox never falls back to a system build: Playwright drives only its own.
    expect(() => browserCandidates('firefox', undefined, (p) => p.startsWith('/usr/bin/'))).toThrow(/not installed/);
  });

  it('keeps the GPU off unless WebGPU is asked for', () => {
    expect(chromiumArgs('wasm')).toContain('--disable-gpu');
    expect(chromiumArgs('webgpu')).not.toContain('--disable-gpu');
    expect(chromiumArgs('webgpu')).toContain('--enable-unsafe-webgpu');
  });
});
