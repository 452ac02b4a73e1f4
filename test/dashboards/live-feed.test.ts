/** The live feed on PGlite and PostgreSQL: which topics a change touches, quiet when nothing changed, idle without listeners. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { registerDevice, touchDevice } from '../../db/queries/devices';
import { hashToken } from '../../db/secrets';
import { LiveFeed, type LiveChange } from '../../server/http/dashboard/live-feed';
import { describeEachDb } from '../helpers/databases';

describeEachDb('dashboards live feed', (getDb) => {
  let feed: LiveFeed;
  let changes: LiveChange[];
  let stop: () => void;

  beforeEach(async () => {
    await getDb().reset();
    // A tick far away: every look in these tests is asked for (nudge/soon), so timing is not luck.
    feed = new LiveFeed(getDb().db, { intervalMs: 3600_000 });
    changes = [];
    stop = feed.subscribe((c) => changes.push(c));
    await feed.nudge();
  });
  afterEach(() => stop());

  it('names the topics a change touched, and says nothing when nothing changed', async () => {
    await feed.nudge();
    expect(changes).toEqual([]);
    const device = await registerDevice(getDb().db, { name: 'live-1', kind: 'edge', tokenHash: hashToken('t-live-1') });
    await feed.nudge();
    expect(changes).toEqual([{ topics: ['devices'], at: expect.any(String) }]);
    await touchDevice(getDb().db, device.id, { status: 'busy' });
    await feed.nudge();
    expect(changes.map((c) => c.topics)).toEqual([['devices'], ['devices']]);
  });

  it('soon(): one look shortly after a burst of calls', async () => {
    await registerDevice(getDb().db, { name: 'live-2', kind: 'edge', tokenHash: hashToken('t-live-2') });
    for (let i = 0; i < 50; i++) feed.soon();
    const deadline = Date.now() + 5000;
    while (changes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(changes.map((c) => c.topics)).toEqual([['devices']]);
    await feed.nudge();
    expect(changes).toHaveLength(1);
  });

  it('stops looking when the last listener leaves', async () => {
    expect(feed.listenerCount).toBe(1);
    stop();
    expect(feed.listenerCount).toBe(0);
    await registerDevice(getDb().db, { name: 'live-3', kind: 'edge', tokenHash: hashToken('t-live-3') });
    feed.soon();
    await feed.nudge();
    expect(changes).toEqual([]);
  });
});
