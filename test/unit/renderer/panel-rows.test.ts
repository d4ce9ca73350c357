import { describe, expect, it } from 'vitest';
import { filterRows, sortRows } from '../../../renderer/src/model/panel-rows';
import { snapshot } from './snapshots';

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe('trunk panel rows', () => {
  it('sorts names as people read them: "trunk 2" before "trunk 10"', () => {
    const rows = [snapshot({ id: 'b', name: 'trunk 10' }), snapshot({ id: 'a', name: 'trunk 2' }), snapshot({ id: 'c', name: 'Alpha' })];
    expect(ids(sortRows(rows, 'name', 'asc'))).toEqual(['c', 'a', 'b']);
    expect(ids(sortRows(rows, 'name', 'desc'))).toEqual(['b', 'a', 'c']);
  });

  it('sorts a countdown column by its absolute deadline, with nothing scheduled last in either direction', () => {
    const rows = [
      snapshot({ id: 'none', nextRetryAt: null }),
      snapshot({ id: 'late', nextRetryAt: 5_000 }),
      snapshot({ id: 'soon', nextRetryAt: 1_000 }),
    ];
    expect(ids(sortRows(rows, 'retry', 'asc'))).toEqual(['soon', 'late', 'none']);
    expect(ids(sortRows(rows, 'retry', 'desc'))).toEqual(['late', 'soon', 'none']);
  });

  it('sorts states worst first and breaks ties by name, so the order holds still while values change', () => {
    const rows = [
      snapshot({ id: 'r2', name: 'b', state: 'registered' }),
      snapshot({ id: 'r1', name: 'a', state: 'registered' }),
      snapshot({ id: 'x', state: 'auth-failed' }),
      snapshot({ id: 'w', state: 'retry-wait' }),
    ];
    expect(ids(sortRows(rows, 'state', 'asc'))).toEqual(['x', 'w', 'r1', 'r2']);
  });

  it('filters by state, by "problem", and by text in the name, id, server or response', () => {
    const rows = [
      snapshot({ id: 'ok-1', name: 'Carrier A' }),
      snapshot({ id: 'wait-1', name: 'Carrier B', state: 'retry-wait', code: 503, reason: 'Service Unavailable', serverLabel: null, server: null }),
      snapshot({ id: 'off', name: 'Old', state: 'disabled', serverLabel: null, server: null }),
    ];
    expect(ids(filterRows(rows, 'retry-wait', ''))).toEqual(['wait-1']);
    expect(ids(filterRows(rows, 'problem', ''))).toEqual(['wait-1']);
    expect(ids(filterRows(rows, 'all', 'carrier'))).toEqual(['ok-1', 'wait-1']);
    expect(ids(filterRows(rows, 'all', ' 503 '))).toEqual(['wait-1']);
    expect(ids(filterRows(rows, 'all', '10.0.0.1'))).toEqual(['ok-1']);
    expect(ids(filterRows(rows, 'registered', 'old'))).toEqual([]);
  });
});
