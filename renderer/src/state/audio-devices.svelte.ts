/**
 * The audio devices the phone settings offer: microphones and speakers as the browser lists them
 * (`enumerateDevices`, refreshed on `devicechange`). Labels are empty until the page has had
 * microphone access once; then they read as the OS names them.
 */
export interface DeviceChoice {
  id: string;
  label: string;
}

/** The part of `navigator.mediaDevices` used here. */
export interface DeviceSource {
  enumerateDevices(): Promise<{ deviceId: string; kind: string; label: string }[]>;
  addEventListener(type: 'devicechange', listener: () => void): void;
  removeEventListener(type: 'devicechange', listener: () => void): void;
}

/** The browser's "default"/"communications" pseudo-devices are the null choice ("System default"). */
const PSEUDO = new Set(['default', 'communications', '']);

export class AudioDevices {
  inputs = $state.raw<DeviceChoice[]>([]);
  outputs = $state.raw<DeviceChoice[]>([]);
  error = $state<string | null>(null);
  readonly #source: DeviceSource | null;
  readonly #listener = () => void this.refresh();

  constructor(source: DeviceSource | null) {
    this.#source = source;
    source?.addEventListener('devicechange', this.#listener);
  }

  async refresh(): Promise<void> {
    if (!this.#source) {
      this.error = 'This page cannot list audio devices.';
      return;
    }
    try {
      const devices = await this.#source.enumerateDevices();
      const pick = (kind: string) => devices
        .filter((d) => d.kind === kind && !PSEUDO.has(d.deviceId))
        .map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === 'audioinput' ? 'Microphone' : 'Speaker'} ${i + 1}` }));
      this.inputs = pick('audioinput');
      this.outputs = pick('audiooutput');
      this.error = null;
    } catch (error) {
      this.error = `The audio devices could not be listed: ${(error as Error).message}`;
    }
  }

  /** Whether a remembered device is still there (an unplugged one falls back to the default). */
  has(kind: 'input' | 'output', id: string | null): boolean {
    return id === null || (kind === 'input' ? this.inputs : this.outputs).some((d) => d.id === id);
  }

  destroy(): void {
    this.#source?.removeEventListener('devicechange', this.#listener);
  }
}
