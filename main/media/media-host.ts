/**
 * The media host's command dispatcher: validates each request, runs it on the named session and
 * answers `{ ok: true, value } | { ok: false, error }`. Transport-free (the child entry feeds it
 * messages), so one host serves any number of sessions and a failing session answers with an
 * error instead of taking the others down.
 */
import type { Clock, Random } from '../sip/clock';
import type { MediaCommand, MediaCommands, MediaEventMessage, MediaResponse } from './media-protocol';
import { isMediaCommand, validateParams } from './media-request-validation';
import { MediaSession } from './media-session';

export interface MediaHostDeps {
  clock: Clock;
  random: Random;
  /** Sends a response or an event to the parent. */
  post: (message: MediaResponse | MediaEventMessage) => void;
}

export class MediaHost {
  private readonly sessions = new Map<string, MediaSession>();
  /** Sessions whose `open` is still binding: a second `open` with the same id is refused. */
  private readonly opening = new Set<string>();

  constructor(private readonly deps: MediaHostDeps) {}

  /** Handles one raw message from the parent. Never throws. */
  async handle(message: unknown): Promise<void> {
    const m = (typeof message === 'object' && message !== null ? message : {}) as { kind?: unknown; id?: unknown; command?: unknown; params?: unknown };
    if (m.kind !== 'request' || typeof m.id !== 'number') {
      this.deps.post({ kind: 'event', event: 'error', payload: { session: null, message: 'malformed message: expected { kind: "request", id: number, command, params }' } });
      return;
    }
    const id = m.id;
    try {
      if (!isMediaCommand(m.command)) throw new Error(`command: unknown "${String(m.command)}"`);
      const value = await this.run(m.command, validateParams(m.command, m.params));
      this.deps.post({ kind: 'response', id, ok: true, value });
    } catch (error) {
      this.deps.post({ kind: 'response', id, ok: false, error: (error as Error).message });
    }
  }

  private async run<C extends MediaCommand>(command: C, params: MediaCommands[C]['params']): Promise<MediaCommands[C]['result']> {
    type Result = MediaCommands[C]['result'];
    const p = params as MediaCommands[MediaCommand]['params'];
    if (command === 'open') {
      const open = p as MediaCommands['open']['params'];
      if (this.sessions.has(open.session) || this.opening.has(open.session)) throw new Error(`session: "${open.session}" is already open`);
      this.opening.add(open.session);
      try {
        const session = await MediaSession.open(open, {
          clock: this.deps.clock,
          random: this.deps.random,
          emit: (event, payload) => this.deps.post({ kind: 'event', event, payload } as MediaEventMessage),
        });
        this.sessions.set(open.session, session);
        return { rtpPort: session.rtpPort, rtcpPort: session.rtpPort + 1 } as Result;
      } finally {
        this.opening.delete(open.session);
      }
    }
    const session = this.sessions.get(p.session);
    if (!session) throw new Error(`session: "${p.session}" is not open`);
    switch (command) {
      case 'configure':
        session.configure(p as MediaCommands['configure']['params']);
        return null as Result;
      case 'source':
        session.setSource((p as MediaCommands['source']['params']).source);
        return null as Result;
      case 'record':
        await session.record((p as MediaCommands['record']['params']).path);
        return null as Result;
      case 'dtmf': {
        const d = p as MediaCommands['dtmf']['params'];
        await session.sendDtmf(d.digits, d.durationMs ?? 100, d.gapMs ?? 70);
        return { digits: d.digits } as Result;
      }
      case 'mute':
        session.setMuted((p as MediaCommands['mute']['params']).muted);
        return null as Result;
      case 'stats':
        return session.stats() as Result;
      case 'close':
        this.sessions.delete(p.session);
        return (await session.close()) as Result;
      default:
        throw new Error(`command: unknown "${String(command)}"`);
    }
  }

  /** Closes every session (host shutting down). */
  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.close()));
  }
}
