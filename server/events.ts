/**
 * What happens on the coordinator, for whoever wants to follow it (live dashboards, twin refits
 * when a sweep completes). Listeners run after the fact; one that throws is logged, never fatal.
 */
export interface FarmEvents {
  /** A result was stored (counted or kept as late data). */
  measurement: { measurementId: number; jobId: number; sweepId: number; deviceId: string; counted: boolean };
  /** A sweep's last job finished on this coordinator: state done (or cancelled). */
  'sweep-finished': { sweepId: number; deviceId: string; space: string; state: 'done' | 'cancelled' };
  /** An agent connected to or left this coordinator, or the reaper marked its device offline. */
  'device-status': { deviceId: string; status: 'online' | 'offline' };
}

type Listener<K extends keyof FarmEvents> = (event: FarmEvents[K]) => void | Promise<void>;

export class FarmEventBus {
  private readonly listeners = new Map<keyof FarmEvents, Set<Listener<never>>>();

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof FarmEvents>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof FarmEvents>(type: K, event: FarmEvents[K]): void {
    for (const listener of this.listeners.get(type) ?? []) {
      try {
        const pending = (listener as Listener<K>)(event);
        if (pending) pending.catch((error: unknown) => this.log(`${type} listener failed: ${error instanceof Error ? error.message : String(error)}`));
      } catch (error) {
        this.log(`${type} listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
