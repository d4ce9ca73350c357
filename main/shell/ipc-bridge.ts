/**
 * Electron IPC for the contract in preload/contract.ts: one `ipcMain.handle` per command channel,
 * each checking its sender before LineService validates the payload, and events pushed with
 * `webContents.send` on their EventMap channel. No other channel exists.
 */
import type { CommandName, CommandResult, EventMap, EventName } from '../../preload/contract';
import { COMMAND_METHODS } from '../../preload/contract';
import { isAppUrl } from './app-origin';
import type { SenderFacts, SenderVerdict } from './ipc-sender';
import type { EventSink } from './line-service';

/** Every command channel, from the contract's method table. */
export const COMMAND_CHANNELS: readonly CommandName[] = Object.values(COMMAND_METHODS);

/** The part of `ipcMain` used here. */
export interface CommandIpc {
  handle(channel: string, listener: (event: SenderFacts, ...args: unknown[]) => Promise<CommandResult<unknown>>): void;
  removeHandler(channel: string): void;
}

export interface CommandHandlerOptions {
  ipc: CommandIpc;
  /** Validates the payload and runs the command (LineService.dispatch). */
  dispatch(name: CommandName, args: unknown[]): Promise<CommandResult<unknown>>;
  /** Whether this sender may call commands at all (see ipc-sender.ts). */
  verifySender(event: SenderFacts): SenderVerdict;
  log?(message: string): void;
}

/** Registers a handler per command channel; returns a function that removes them all. */
export function registerCommandHandlers(options: CommandHandlerOptions): () => void {
  for (const channel of COMMAND_CHANNELS) {
    options.ipc.handle(channel, async (event, ...args) => {
      const verdict = options.verifySender(event);
      if (!verdict.trusted) {
        options.log?.(`IPC ${channel} refused: ${verdict.reason}`);
        return { ok: false, error: { message: `refused: ${verdict.reason}` } };
      }
      return options.dispatch(channel, args);
    });
  }
  return () => COMMAND_CHANNELS.forEach((channel) => options.ipc.removeHandler(channel));
}

/** The part of `WebContents` events are sent through. */
export interface EventTargetContents {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, payload: unknown): void;
}

/**
 * An EventSink that sends to the current window's contents, if it is alive and showing the app
 * (events are dropped, not queued, while it is not: the UI asks for the full state when it loads).
 */
export function createEventSink(target: () => EventTargetContents | null): EventSink {
  return <E extends EventName>(event: E, payload: EventMap[E]) => {
    const contents = target();
    if (!contents || contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
    contents.send(event, payload);
  };
}
