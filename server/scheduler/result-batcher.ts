/**
 * Group commit of results: results that arrive while a batch is being written are written
 * together in the next one (`recordResults`: one transaction, a handful of statements), so the
 * database work per result falls as load rises and adds no wait when it is low (a lone result is
 * written at once). Failed measurements, and every input of a batch the database refused as a
 * whole, are written one by one with `recordResult`, so a bad input fails alone.
 */
import type { Db } from '../../db/client';
import { recordResult, type RecordedResult, type RecordResultInput } from '../../db/queries/results';
import { recordResults } from '../../db/queries/results-batch';

interface Waiting {
  input: RecordResultInput;
  resolve(value: RecordedResult): void;
  reject(error: unknown): void;
}

export class ResultBatcher {
  private queue: Waiting[] = [];
  private writers = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: { maxBatch?: number; writers?: number } = {},
  ) {}

  record(input: RecordResultInput): Promise<RecordedResult> {
    if (input.measurement.status === 'failed') return recordResult(this.db, input);
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.writers < (this.opts.writers ?? 3)) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writers++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 50);
        if (batch.length === 1) {
          await recordResult(this.db, batch[0].input).then(batch[0].resolve, batch[0].reject);
          continue;
        }
        let outcomes;
        try {
          outcomes = await recordResults(this.db, batch.map((w) => w.input));
        } catch {
          for (const w of batch) await recordResult(this.db, w.input).then(w.resolve, w.reject);
          continue;
        }
        outcomes.forEach((o, k) => (o.ok ? batch[k].resolve(o.value) : batch[k].reject(o.error)));
      }
    } finally {
      this.writers--;
    }
  }
}
