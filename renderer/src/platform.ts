/** What the renderer needs from the page itself: saving a text file and the clipboard. DOM only. */
import { playTestSound, watchMicLevel } from './device-check';
import { BusPhoneAudio } from './phone-audio';
import { WebAudioRinger } from './ringer';
import type { Platform } from './state/app-state.svelte';

export const browserPlatform: Platform = {
  ringer: new WebAudioRinger(),
  devices: typeof navigator !== 'undefined' && navigator.mediaDevices ? navigator.mediaDevices : null,
  testSound: playTestSound,
  watchMic: watchMicLevel,
  audio: (api, notice) => (typeof RTCPeerConnection === 'function' ? new BusPhoneAudio(api, notice) : null),
  saveFile(fileName, text) {
    const url = URL.createObjectURL(new Blob([text], { type: fileName.endsWith('.json') ? 'application/json' : 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
  async copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  },
};
