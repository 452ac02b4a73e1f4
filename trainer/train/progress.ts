/**
 * A progress line for long training runs on stderr: phase, epoch, step, loss, learning rate,
 * speed and ETA (phase and whole run). On a terminal it redraws one line; otherwise it prints a
 * line every `intervalMs` so logs stay readable.
 */
export interface ProgressState {
  phase: string;
  phaseIndex: number;
  phaseCount: number;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  /** Seconds spent in this phase so far. */
  elapsed: number;
  /** Estimated seconds left after this phase (other phases), if known. */
  remainingAfterPhase?: number;
}

export interface ProgressSink {
  update(state: ProgressState): void;
  log(line: string): void;
  finish(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

export function formatProgress(s: ProgressState): string {
  const width = 20;
  const filled = Math.round((s.step / Math.max(1, s.steps)) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const perStep = s.step > 0 ? s.elapsed / s.step : NaN;
  const etaPhase = perStep * (s.steps - s.step);
  const etaTotal = etaPhase + (s.remainingAfterPhase ?? 0);
  return (
    `[${s.phaseIndex + 1}/${s.phaseCount}] ${s.phase.padEnd(8)} [${bar}] ep ${s.epoch.toFixed(1)}/${s.epochs.toFixed(1)} ` +
    `step ${s.step}/${s.steps} loss ${s.loss.toFixed(3)} lr ${s.lr.toExponential(2)} ` +
    `${Number.isFinite(perStep) ? perStep.toFixed(2) : '?'} s/step ETA ${formatDuration(etaPhase)}` +
    (s.remainingAfterPhase !== undefined ? ` (all ${formatDuration(etaTotal)})` : '')
  );
}

export function progressBar(out: NodeJS.WritableStream, isTty: boolean, intervalMs = 10_000): ProgressSink {
  let last = 0;
  let drawn = false;
  return {
    update(state) {
      const now = Date.now();
      const final = state.step === state.steps;
      if (isTty) {
        out.write(`\r\x1b[2K${formatProgress(state)}`);
        drawn = true;
        if (final) {
          out.write('\n');
          drawn = false;
        }
      } else if (final || now - last >= intervalMs) {
        out.write(`${formatProgress(state)}\n`);
        last = now;
      }
    },
    log(line) {
      if (drawn) out.write('\n');
      drawn = false;
      out.write(`${line}\n`);
    },
    finish() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

/** A sink that prints nothing (tests, library use). */
export const silentProgress: ProgressSink = { update() {}, log() {}, finish() {} };
