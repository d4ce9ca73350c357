import { describe, expect, it } from 'vitest';
import type { LineSnapshot } from '../../../common/line-status';
import type { CommandResult, LineView, PublicLineConfig, TrunklineApi } from '../../../preload/contract';
import { LineStore } from '../../../renderer/src/state/line-store.svelte';
import { snapshot } from './snapshots';

/** A schedule the test runs by hand: nothing happens until `run()`. */
function manualSchedule() {
  const due: (() => void)[] = [];
  return {
    schedule: (callback: () => void) => {
      due.push(callback);
      return () => due.splice(due.indexOf(callback), 1);
    },
    run: () => due.splice(0).forEach((c) => c()),
    get pending() {
      return due.length;
    },
  };
}

const config = (id: string) => ({ id, name: id }) as unknown as PublicLineConfig;
const view = (s: LineSnapshot): LineView => ({ config: config(s.id), snapshot: s });

function apiListing(views: LineView[]): TrunklineApi {
  return { listLines: async (): Promise<CommandResult<LineView[]>> => ({ ok: true, value: views }) } as unknown as TrunklineApi;
}

describe('line store', () => {
  it('coalesces a burst of pushed changes into one batch holding the newest snapshot of each line', () => {
    const clock = manualSchedule();
    const store = new LineStore(apiListing([]), { schedule: clock.schedule });
    const batches: string[][] = [];
    store.onBatch = (ids) => batches.push([...ids]);
    for (let i = 0; i < 1000; i++) store.changed(snapshot({ id: `l${i % 10}`, consecutiveFailures: i }));
    expect(clock.pending).toBe(1);
    expect(store.snapshots.size).toBe(0);
    clock.run();
    expect(batches).toHaveLength(1);
    expect(store.list).toHaveLength(10);
    expect(store.snapshots.get('l3')!.consecutiveFailures).toBe(993);
  });

  it('a list answer supersedes everything queued before it arrived', async () => {
    const clock = manualSchedule();
    const store = new LineStore(apiListing([view(snapshot({ id: 'a', state: 'registered' }))]), { schedule: clock.schedule });
    store.changed(snapshot({ id: 'a', state: 'registering' }));
    await store.load();
    clock.run();
    expect(store.snapshots.get('a')!.state).toBe('registered');
  });

  it('a removal after the last change of a line wins; its configuration goes with it', () => {
    const clock = manualSchedule();
    const store = new LineStore(apiListing([]), { schedule: clock.schedule });
    store.upsert(view(snapshot({ id: 'gone' })));
    store.changed(snapshot({ id: 'gone', state: 'unregistering' }));
    store.removed('gone');
    clock.run();
    expect(store.snapshots.has('gone')).toBe(false);
    expect(store.configs.has('gone')).toBe(false);
  });

  it('counts lines by state for the status bar', () => {
    const clock = manualSchedule();
    const store = new LineStore(apiListing([]), { schedule: clock.schedule });
    store.changed(snapshot({ id: 'a' }));
    store.changed(snapshot({ id: 'b', state: 'retry-wait' }));
    store.changed(snapshot({ id: 'c', state: 'disabled' }));
    clock.run();
    expect(store.counts).toMatchObject({ total: 3, registered: 1, 'retry-wait': 1, disabled: 1 });
  });
});
