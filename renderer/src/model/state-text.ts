import type { LineState } from '../../../common/line-status';

/** How each state reads on a badge. */
export const STATE_LABELS: Record<LineState, string> = {
  registered: 'registered',
  registering: 'registering',
  'retry-wait': 'retry wait',
  'auth-failed': 'auth failed',
  unregistering: 'unregistering',
  unregistered: 'unregistered',
  disabled: 'disabled',
};

/** The colour family a state is drawn in. */
export function stateTone(state: LineState): 'ok' | 'busy' | 'warn' | 'bad' | 'idle' {
  switch (state) {
    case 'registered': return 'ok';
    case 'registering':
    case 'unregistering': return 'busy';
    case 'retry-wait': return 'warn';
    case 'auth-failed': return 'bad';
    default: return 'idle';
  }
}
