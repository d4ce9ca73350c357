import { describe, expect, it } from 'vitest';
import type { AppNotice } from '../../../preload/contract';
import { NoticeBoard } from '../../../main/shell/notice-board';

describe('notices reach the UI even when they happen before it loads', () => {
  it('notices from start-up are replayed when the UI loads, and on every reload', () => {
    const sent: AppNotice[] = [];
    const board = new NoticeBoard((n) => sent.push(n));
    const moved: AppNotice = { level: 'error', message: 'The settings file could not be read' };
    board.push(moved);
    expect(sent).toEqual([]);
    board.attach();
    expect(sent).toEqual([moved]);
    const later: AppNotice = { level: 'info', message: 'Trunkline is up to date.' };
    board.push(later);
    expect(sent).toEqual([moved, later]);
    board.detach();
    board.push({ level: 'warning', message: 'while reloading' });
    expect(sent).toHaveLength(2);
    board.attach();
    expect(sent.slice(2).map((n) => n.message)).toEqual(['The settings file could not be read', 'Trunkline is up to date.', 'while reloading']);
  });

  it('keeps only the most recent notices', () => {
    const board = new NoticeBoard(() => {}, () => {}, 3);
    for (let i = 0; i < 5; i++) board.push({ level: 'info', message: `n${i}` });
    expect(board.notices().map((n) => n.message)).toEqual(['n2', 'n3', 'n4']);
  });
});
