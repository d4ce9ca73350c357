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
import { BusLink } from './bus-link';
import { BusPeer } from './bus-peer';
import { WebrtcLegs } from './webrtc-legs';

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
  /** Audio buses by id (`bus-open`), and the session ↔ bus transceiver links (`source` kind bus). */
  private readonly buses = new Map<string, BusPeer>();
  private readonly links = new Map<string, BusLink>();
  /** Trunk legs toward WebRTC far ends (`webrtc-*` commands), bridged to their sessions. */
  private readonly webrtc: WebrtcLegs;

  constructor(private readonly deps: MediaHostDeps) {
    this.webrtc = new WebrtcLegs({
      clock: deps.clock,
      emitState: (payload) => deps.post({ kind: 'event', event: 'webrtc-state', payload }),
      fault: (session, error) => deps.post({ kind: 'event', event: 'error', payload: { session, message: error.message } }),
    });
  }

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
    if (command === 'bus-open') return (await this.openBus(p as MediaCommands['bus-open']['params'])) as Result;
    if (command === 'bus-close') {
      await this.closeBus((p as MediaCommands['bus-close']['params']).bus);
      return null as Result;
    }
    const session = this.sessions.get((p as { session: string }).session);
    if (!session) throw new Error(`session: "${(p as { session: string }).session}" is not open`);
    switch (command) {
      case 'configure':
        session.configure(p as MediaCommands['configure']['params']);
        return null as Result;
      case 'source': {
        const { source } = p as MediaCommands['source']['params'];
        if (source.kind === 'bus') {
          this.link(session, source.bus, source.mid);
        } else {
          session.setSource(source);
          this.unlink(session.id);
        }
        return null as Result;
      }
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
        this.unlink(session.id);
        this.sessions.delete(session.id);
        await this.webrtc.close(session.id);
        return (await session.close()) as Result;
      case 'webrtc-offer':
      case 'webrtc-answer':
      case 'webrtc-accept':
        return (await this.webrtc.run(session, command, p as MediaCommands['webrtc-offer' | 'webrtc-answer' | 'webrtc-accept']['params'])) as Result;
      default:
        throw new Error(`command: unknown "${String(command)}"`);
    }
  }

  private async openBus(params: MediaCommands['bus-open']['params']): Promise<MediaCommands['bus-open']['result']> {
    let bus = this.buses.get(params.bus);
    if (!bus) {
      bus = new BusPeer();
      this.buses.set(params.bus, bus);
      bus.onState((state) => this.deps.post({ kind: 'event', event: 'bus-state', payload: { bus: params.bus, state } }));
    }
    try {
      const sdpAnswer = await bus.negotiate(params.sdpOffer);
      return { sdpAnswer, mids: bus.mids() };
    } catch (error) {
      throw new Error(`sdpOffer: the bus could not answer it: ${(error as Error).message}`);
    }
  }

  private async closeBus(id: string): Promise<void> {
    const bus = this.buses.get(id);
    if (!bus) throw new Error(`bus: "${id}" is not open`);
    this.buses.delete(id);
    for (const [session, link] of this.links) {
      if (link.bus === bus) this.unlink(session);
    }
    await bus.close();
  }

  private link(session: MediaSession, busId: string, mid: string): void {
    const bus = this.buses.get(busId);
    if (!bus) throw new Error(`source.bus: "${busId}" is not open (bus-open first)`);
    if (!bus.mids().includes(mid)) throw new Error(`source.mid: bus "${busId}" has no audio transceiver "${mid}" (has ${bus.mids().join(', ') || 'none'})`);
    for (const [other, link] of this.links) {
      if (other !== session.id && link.bus === bus && link.mid === mid) throw new Error(`source.mid: transceiver "${mid}" already carries session "${other}"`);
    }
    this.unlink(session.id);
    this.links.set(session.id, new BusLink(session, bus, mid, {
      clock: this.deps.clock,
      random: this.deps.random,
      fault: (error) => this.deps.post({ kind: 'event', event: 'error', payload: { session: session.id, message: error.message } }),
    }));
  }

  private unlink(session: string): void {
    this.links.get(session)?.dispose();
    this.links.delete(session);
  }

  /** Closes every session and bus (host shutting down). */
  async closeAll(): Promise<void> {
    for (const session of [...this.links.keys()]) this.unlink(session);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    const buses = [...this.buses.values()];
    this.buses.clear();
    await Promise.all([...sessions.map((s) => s.close()), ...buses.map((b) => b.close()), this.webrtc.closeAll()]);
  }
}
