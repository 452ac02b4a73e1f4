/**
 * Chrome mode: the phone's own browser becomes a browser agent of the farm. The coordinator's
 * port is reversed onto the phone (`adb reverse tcp:P tcp:P`), so the phone reaches it as
 * localhost:P, and the farm's agent page is opened with a VIEW intent. The page then measures with
 * onnxruntime-web and talks to the coordinator itself; this side only keeps it open.
 */
import { errorMessage } from '../../core/errors';
import { sleep } from '../runtime/abort';
import type { Logger } from '../runtime/log';
import { bounded, quote, shell, type AdbDevice } from './adb';

export const CHROME_COMPONENT = 'com.android.chrome/com.google.android.apps.chrome.Main';

export function coordinatorPort(server: string): number {
  const url = new URL(server);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/** The agent page as the phone sees it, through the reversed port. */
export function phonePageUrl(server: string, token: string): string {
  const url = new URL(server);
  const base = url.pathname.replace(/\/+$/, '');
  return `http://localhost:${coordinatorPort(server)}${base}/agent?token=${encodeURIComponent(token)}`;
}

export interface ChromeSessionOptions {
  device: AdbDevice;
  serial: string;
  server: string;
  token: string;
  deviceName: string;
  log: Logger;
  signal: AbortSignal;
  /** How often the coordinator is asked whether the page's device is online. */
  checkEveryMs?: number;
  /** Re-opens allowed when the page's device stays offline. */
  maxReopens?: number;
}

async function openPage(o: ChromeSessionOptions): Promise<void> {
  const port = coordinatorPort(o.server);
  await bounded(o.device.reverse(`tcp:${port}`, `tcp:${port}`), `adb reverse tcp:${port}`, 15_000, o.signal);
  const url = phonePageUrl(o.server, o.token);
  const out = await shell(o.device, `am start -a android.intent.action.VIEW -d ${quote(url)} -n ${CHROME_COMPONENT}; echo rc=$?`, { timeoutMs: 20_000, signal: o.signal });
  if (/^Error:/m.test(out)) throw new Error(`am start refused the agent page: ${out.split('\n').find((l) => l.startsWith('Error:'))}`);
}

async function deviceStatus(server: string, name: string, signal: AbortSignal): Promise<string | null> {
  try {
    const response = await fetch(new URL(`api/devices/${encodeURIComponent(name)}`, server.endsWith('/') ? server : `${server}/`), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { device?: { status?: string } };
    return body.device?.status ?? null;
  } catch {
    return null;
  }
}

/**
 * Opens the page and keeps it open until `signal` aborts: when the coordinator says the device
 * stayed offline for two checks, the page is opened again (a bounded number of times).
 */
export async function runChromeSession(o: ChromeSessionOptions): Promise<void> {
  const every = o.checkEveryMs ?? 15_000;
  let reopens = 0;
  await openPage(o);
  o.log.info('android.chrome_opened', { serial: o.serial, device: o.deviceName });
  let offlineChecks = 0;
  try {
    while (!o.signal.aborted) {
      await sleep(every, o.signal);
      const status = await deviceStatus(o.server, o.deviceName, o.signal);
      offlineChecks = status === 'offline' ? offlineChecks + 1 : 0;
      if (offlineChecks < 2) continue;
      if (reopens >= (o.maxReopens ?? 5)) {
        o.log.error('android.chrome_gave_up', { serial: o.serial, reopens });
        return;
      }
      reopens++;
      offlineChecks = 0;
      o.log.warn('android.chrome_reopen', { serial: o.serial, reopens });
      await openPage(o).catch((error) => o.log.warn('android.chrome_open_failed', { serial: o.serial, error: errorMessage(error) }));
    }
  } catch (error) {
    if (!o.signal.aborted) throw error;
  }
}

/** Closes Chrome and drops the reverse rule (best effort: the phone may be gone). */
export async function closeChrome(device: AdbDevice, server: string, request: (service: string) => Promise<string>): Promise<void> {
  await shell(device, 'am force-stop com.android.chrome', { timeoutMs: 10_000 }).catch(() => {});
  await request(`reverse:killforward:tcp:${coordinatorPort(server)}`).catch(() => {});
}
