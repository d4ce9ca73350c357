/**
 * The main-process side of the audio bus (main/shell/media-service.ts) against a real media host
 * child and a werift peer playing the renderer: `media:*` validation names the field, new calls
 * take a free transceiver and give it back when they end, `media:bus-track` tells the page, and
 * withBusAudio hands the CallManager the bus source.
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { CallEvent, CallSnapshot } from '../../../common/call-status';
import type { MediaHostClient } from '../../../main/media/media-host-client';
import type { BusSourceSpec } from '../../../main/media/media-protocol';
import type { CallControl, CallFeed } from '../../../main/shell/call-service';
import { BUS_ID, MediaService, routeMediaCommands, withBusAudio } from '../../../main/shell/media-service';
import type { EventMap, EventName } from '../../../preload/contract';
import { LOOPBACK, startHost, waitFor } from './media-test-kit';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let host: MediaHostClient;

beforeAll(async () => {
  host = await startHost();
});

afterAll(async () => {
  await host.stop();
});

function feed(): CallFeed & { push(call: Partial<CallSnapshot> & { id: string; state: CallSnapshot['state'] }): void } {
  const listeners = new Set<(call: CallSnapshot) => void>();
  return {
    onCall: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onEvent: (_l: (event: CallEvent) => void) => () => undefined,
    onIncoming: () => () => undefined,
    push: (call) => listeners.forEach((l) => l(call as CallSnapshot)),
  };
}

async function rendererOffer(transceivers: number): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    iceAdditionalHostAddresses: [LOOPBACK],
    iceInterfaceAddresses: { udp4: LOOPBACK },
    iceUseIpv6: false,
  });
  for (let i = 0; i < transceivers; i++) pc.addTransceiver('audio', { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('gathering', () => pc.iceGatheringState === 'complete');
  return pc;
}

function service() {
  const events: { event: EventName; payload: unknown }[] = [];
  const calls = feed();
  const media = new MediaService({
    host: async () => host,
    feed: calls,
    emit: <E extends EventName>(event: E, payload: EventMap[E]) => events.push({ event, payload }),
  });
  return { media, events, calls };
}

it('media:* commands refuse bad input naming the field, and other commands go past the media router', async () => {
  const { media } = service();
  expect(await media.dispatch('media:bus-open', ['hello'])).toEqual({ ok: false, error: { message: expect.stringMatching(/^sdpOffer: must be an SDP offer/) } });
  expect(await media.dispatch('media:bus-attach', ['call 1', '0'])).toEqual({ ok: false, error: { message: expect.stringMatching(/^callId: must be a call id/) } });
  expect(await media.dispatch('media:bus-attach', ['c1', '0'])).toEqual({ ok: false, error: { message: expect.stringMatching(/^busTrackId: the audio bus is not open/) } });
  expect(await media.dispatch('media:bus-attach', 'c1')).toEqual({ ok: false, error: { message: 'arguments must be a list' } });
  const rest = { dispatch: vi.fn(async () => ({ ok: true as const, value: 'lines' })) };
  const router = routeMediaCommands(media, rest);
  expect(await router.dispatch('lines:list', [])).toEqual({ ok: true, value: 'lines' });
  expect(await router.dispatch('media:nope', [])).toEqual({ ok: false, error: { message: 'unknown command "media:nope"' } });
  media.dispose();
});

it('opens the bus, gives each new call a free transceiver, tells the page, and frees it when the call ends', async () => {
  const { media, events, calls } = service();
  expect(media.audioForNewCall().audio).toEqual({}); // no bus yet: silence
  const pc = await rendererOffer(2);
  const opened = await media.dispatch('media:bus-open', [pc.localDescription!.sdp]);
  expect(opened.ok).toBe(true);
  const { sdpAnswer, busTrackIds } = (opened as { value: { sdpAnswer: string; busTrackIds: string[] } }).value;
  expect(busTrackIds).toHaveLength(2);
  await pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });

  // withBusAudio: dial and answer pass the bus source to the CallManager.
  const seen: { source?: BusSourceSpec }[] = [];
  const manager = {
    dial: async (_line: string, _to: string, audio?: { source?: BusSourceSpec }) => {
      seen.push(audio ?? {});
      return { id: `out-${seen.length}` } as CallSnapshot;
    },
    answer: async (_id: string, audio?: { source?: BusSourceSpec }) => {
      seen.push(audio ?? {});
      return null;
    },
  } as unknown as Parameters<typeof withBusAudio>[0];
  const control: CallControl = withBusAudio(manager, media);
  await control.dial('line', '1002');
  await control.answer('in-1');
  await control.dial('line', '1003'); // both transceivers taken: silence
  expect(seen).toEqual([
    { source: { kind: 'bus', bus: BUS_ID, mid: busTrackIds[0] } },
    { source: { kind: 'bus', bus: BUS_ID, mid: busTrackIds[1] } },
    {},
  ]);
  expect(events.filter((e) => e.event === 'media:bus-track').map((e) => e.payload)).toEqual([
    { callId: 'out-1', busTrackId: busTrackIds[0] },
    { callId: 'in-1', busTrackId: busTrackIds[1] },
  ]);
  expect(media.trackOf('in-1')).toBe(busTrackIds[1]);

  // The first call ends: its transceiver is free again for the next.
  calls.push({ id: 'out-1', state: 'ended' });
  expect(events.at(-1)).toEqual({ event: 'media:bus-track', payload: { callId: 'out-1', busTrackId: null } });
  await control.dial('line', '1004');
  expect(seen.at(-1)).toEqual({ source: { kind: 'bus', bus: BUS_ID, mid: busTrackIds[0] } });

  // Attaching a call the media host has no session for is refused by the host, field named.
  const attach = await media.dispatch('media:bus-attach', ['no-such-call', busTrackIds[0]]);
  expect(attach.ok).toBe(false);
  const taken = await media.dispatch('media:bus-attach', ['other', busTrackIds[1]]);
  expect(taken).toEqual({ ok: false, error: { message: `busTrackId: transceiver "${busTrackIds[1]}" carries call "in-1"` } });

  // The bus state reaches the page; closing frees every call.
  await waitFor('bus-state connected', () => events.some((e) => e.event === 'media:bus-state' && (e.payload as { state: string }).state === 'connected'), 10_000);
  expect(await media.dispatch('media:bus-close', [])).toEqual({ ok: true, value: null });
  expect(media.trackOf('in-1')).toBeNull();
  expect(media.audioForNewCall().audio).toEqual({});
  media.dispose();
  await pc.close();
});

it('a new page\'s offer replaces the bus and moves the calls it carried onto the same transceivers', async () => {
  const { media, events } = service();
  const first = await rendererOffer(2);
  const opened = await media.dispatch('media:bus-open', [first.localDescription!.sdp]);
  const mids = (opened as { value: { busTrackIds: string[] } }).value.busTrackIds;
  await host.open({ session: 'call-r', localAddress: LOOPBACK, portMin: 46000, portMax: 46099 });
  expect(await media.dispatch('media:bus-attach', ['call-r', mids[1]])).toEqual({ ok: true, value: null });
  await first.close(); // the page reloads

  const second = await rendererOffer(2);
  events.length = 0;
  const again = await media.dispatch('media:bus-open', [second.localDescription!.sdp]);
  expect(again.ok).toBe(true);
  expect(events.filter((e) => e.event === 'media:bus-track').map((e) => e.payload)).toEqual([{ callId: 'call-r', busTrackId: mids[1] }]);
  expect(media.trackOf('call-r')).toBe(mids[1]);
  // The old bus is gone from the host: only the new one answers, and the call's session relays through it.
  await second.setRemoteDescription({ type: 'answer', sdp: (again as { value: { sdpAnswer: string } }).value.sdpAnswer });
  await waitFor('second bus connected', () => second.connectionState === 'connected', 10_000);
  await host.close('call-r');
  await media.dispatch('media:bus-close', []);
  media.dispose();
  await second.close();
});
