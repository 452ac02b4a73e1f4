/**
 * A one-node thermal model of the phone: Newton cooling towards ambient, plus constant heating
 * while the benchmark tool runs. Integrated in closed form between events, so it costs nothing
 * while idle. Skin temperature drives the thermal status (0..6, as PowerManager reports it).
 */
import type { SimProfile } from './profile';

type ThermalParams = SimProfile['thermal'];

export class ThermalModel {
  private tempC: number;
  private lastMs: number;
  private busy = 0;

  constructor(
    private readonly params: ThermalParams,
    private readonly now: () => number = Date.now,
  ) {
    this.tempC = params.startC;
    this.lastMs = now();
  }

  /** Marks the device busy (heating) until the returned function is called. */
  begin(): () => void {
    this.advance();
    this.busy++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.advance();
      this.busy--;
    };
  }

  get isBusy(): boolean {
    return this.busy > 0;
  }

  skinC(): number {
    this.advance();
    return this.tempC;
  }

  /** The battery lags behind the skin a little. */
  batteryC(): number {
    const skin = this.skinC();
    return this.params.ambientC + (skin - this.params.ambientC) * 0.85;
  }

  cpuC(): number {
    return this.skinC() + (this.busy > 0 ? 9 : 3);
  }

  status(): number {
    const skin = this.skinC();
    return this.params.statusThresholdsC.filter((threshold) => skin >= threshold).length;
  }

  /** Extra slowdown from throttling at the current status. */
  throttle(): number {
    return this.status() >= this.params.throttleFromStatus ? this.params.throttleFactor : 1;
  }

  /** Sets the temperature directly (demos: `--start-temp`, or a hot phone in a test). */
  set(tempC: number): void {
    this.advance();
    this.tempC = tempC;
  }

  private advance(): void {
    const t = this.now();
    const dtS = Math.max(0, (t - this.lastMs) / 1000);
    this.lastMs = t;
    if (dtS === 0) return;
    const tau = this.params.coolTimeConstantS;
    const target = this.params.ambientC + (this.busy > 0 ? this.params.heatCPerSecond * tau : 0);
    this.tempC = target + (this.tempC - target) * Math.exp(-dtS / tau);
    this.tempC = Math.min(this.params.maxC, this.tempC);
  }
}
