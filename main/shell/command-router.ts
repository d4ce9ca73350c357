/**
 * One `dispatch` for the bridge over the services that answer commands: `call:*` go to the
 * CallService, everything else to the LineService. Both validate their own payloads.
 */
import type { CommandResult } from '../../preload/contract';

export interface CommandDispatcher {
  dispatch(name: string, args: unknown): Promise<CommandResult<unknown>>;
}

export function routeCommands(lines: CommandDispatcher, calls: (CommandDispatcher & { handles(name: string): boolean }) | null): CommandDispatcher {
  return {
    dispatch(name, args) {
      if (name.startsWith('call:')) {
        if (calls === null) return Promise.resolve({ ok: false, error: { message: 'calls are not available in this build' } });
        return calls.dispatch(name, args);
      }
      return lines.dispatch(name, args);
    },
  };
}
