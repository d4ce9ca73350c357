import type { LineState } from '../../common/line-status';

/**
 * The legal moves between the states a line shows (diagram in common/line-status.ts).
 * Anything else is a bug in the policy, so `assertTransition` throws rather than hide it.
 */
const LEGAL: Record<LineState, readonly LineState[]> = {
  disabled: ['registering', 'unregistered'],
  registering: ['registered', 'retry-wait', 'auth-failed', 'unregistering', 'disabled', 'unregistered'],
  registered: ['registering', 'retry-wait', 'auth-failed', 'unregistering', 'disabled', 'unregistered'],
  'retry-wait': ['registering', 'registered', 'unregistering', 'disabled', 'unregistered'],
  'auth-failed': ['registering', 'registered', 'unregistering', 'disabled', 'unregistered'],
  unregistering: ['unregistered', 'disabled'],
  unregistered: ['registering', 'disabled'],
};

function isLegalTransition(from: LineState, to: LineState): boolean {
  return LEGAL[from].includes(to);
}

export function assertTransition(from: LineState, to: LineState): void {
  if (!isLegalTransition(from, to)) throw new Error(`illegal line state transition ${from} → ${to}`);
}
