/** A least-recently-used map of byte arrays bounded by their total size. */
export class ByteLru {
  private readonly entries = new Map<string, Uint8Array>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.total += value.byteLength;
    for (const [k, v] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= v.byteLength;
    }
  }

  get size(): number {
    return this.total;
  }
}
