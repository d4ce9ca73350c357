import { describe, expect, it } from 'vitest';
import type { PermissionSession } from '../../../main/shell/permission-policy';
import { allowPermissionCheck, allowPermissionRequest, applyPermissionPolicy } from '../../../main/shell/permission-policy';

const APP = 'app://trunkline/index.html';

describe('permissions: the microphone, the audio output and clipboard writes for the app itself, nothing else', () => {
  it('a microphone request from the app main frame is granted', () => {
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: true, mediaTypes: ['audio'] })).toBe(true);
  });

  it('camera, camera+microphone, or an unspecified media request is refused', () => {
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: true, mediaTypes: ['video'] })).toBe(false);
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: true, mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: true, mediaTypes: [] })).toBe(false);
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: true })).toBe(false);
  });

  it('the microphone for any other origin, or a subframe, is refused', () => {
    for (const requestingUrl of ['https://evil.example/', 'app://other/', 'file:///x.html', undefined]) {
      expect(allowPermissionRequest({ permission: 'media', requestingUrl, isMainFrame: true, mediaTypes: ['audio'] })).toBe(false);
    }
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: APP, isMainFrame: false, mediaTypes: ['audio'] })).toBe(false);
  });

  it('every other permission is refused, even for the app', () => {
    for (const permission of ['notifications', 'geolocation', 'clipboard-read', 'display-capture', 'openExternal', 'fullscreen', 'midiSysex', 'pointerLock', 'unknown']) {
      expect(allowPermissionRequest({ permission, requestingUrl: APP, isMainFrame: true, mediaTypes: ['audio'] }), permission).toBe(false);
    }
  });

  it('choosing the speaker and ringer (setSinkId) is granted to the app main frame only', () => {
    expect(allowPermissionRequest({ permission: 'speaker-selection', requestingUrl: APP, isMainFrame: true })).toBe(true);
    expect(allowPermissionRequest({ permission: 'speaker-selection', requestingUrl: APP, isMainFrame: false })).toBe(false);
    expect(allowPermissionRequest({ permission: 'speaker-selection', requestingUrl: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(allowPermissionCheck({ permission: 'speaker-selection', requestingOrigin: 'app://trunkline', isMainFrame: true })).toBe(true);
    expect(allowPermissionCheck({ permission: 'speaker-selection', requestingOrigin: 'https://evil.example', isMainFrame: true })).toBe(false);
  });

  it('plain-text clipboard writes (Copy in the detail pane) are granted to the app main frame only; reads never', () => {
    expect(allowPermissionRequest({ permission: 'clipboard-sanitized-write', requestingUrl: APP, isMainFrame: true })).toBe(true);
    expect(allowPermissionRequest({ permission: 'clipboard-sanitized-write', requestingUrl: APP, isMainFrame: false })).toBe(false);
    expect(allowPermissionRequest({ permission: 'clipboard-sanitized-write', requestingUrl: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(allowPermissionCheck({ permission: 'clipboard-sanitized-write', requestingOrigin: 'app://trunkline', isMainFrame: true })).toBe(true);
    expect(allowPermissionCheck({ permission: 'clipboard-read', requestingOrigin: 'app://trunkline', isMainFrame: true })).toBe(false);
  });

  it('permission checks answer the same way', () => {
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'app://trunkline', isMainFrame: true, mediaType: 'audio' })).toBe(true);
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'app://trunkline/', isMainFrame: true, mediaType: 'audio' })).toBe(true);
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'app://trunkline', isMainFrame: true, mediaType: 'video' })).toBe(false);
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'app://trunkline', isMainFrame: true, mediaType: 'unknown' })).toBe(false);
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'https://evil.example', isMainFrame: true, mediaType: 'audio' })).toBe(false);
    expect(allowPermissionCheck({ permission: 'geolocation', requestingOrigin: 'app://trunkline', isMainFrame: true })).toBe(false);
  });

  it('installs request, check and device handlers on the session', () => {
    const installed: Partial<Record<keyof PermissionSession, (...args: never[]) => unknown>> = {};
    const session: PermissionSession = {
      setPermissionRequestHandler: (h) => (installed.setPermissionRequestHandler = h),
      setPermissionCheckHandler: (h) => (installed.setPermissionCheckHandler = h),
      setDevicePermissionHandler: (h) => (installed.setDevicePermissionHandler = h),
    };
    const log: string[] = [];
    applyPermissionPolicy(session, (m) => log.push(m));
    const answers: boolean[] = [];
    const request = installed.setPermissionRequestHandler as Parameters<PermissionSession['setPermissionRequestHandler']>[0];
    request({}, 'media', (granted) => answers.push(granted), { requestingUrl: APP, isMainFrame: true, mediaTypes: ['audio'] });
    request({}, 'media', (granted) => answers.push(granted), { requestingUrl: APP, isMainFrame: true, mediaTypes: ['video'] });
    request({}, 'geolocation', (granted) => answers.push(granted), { requestingUrl: APP, isMainFrame: true });
    expect(answers).toEqual([true, false, false]);
    expect(log).toEqual(['permission refused: media (video)', 'permission refused: geolocation']);
    const check = installed.setPermissionCheckHandler as Parameters<PermissionSession['setPermissionCheckHandler']>[0];
    expect(check(null, 'media', 'app://trunkline', { isMainFrame: true, mediaType: 'audio' })).toBe(true);
    expect(check(null, 'hid', 'app://trunkline', { isMainFrame: true })).toBe(false);
    expect((installed.setDevicePermissionHandler as () => boolean)()).toBe(false);
  });
});
