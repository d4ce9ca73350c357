import type { AppSettings, BridgeError, HepSetting, MetricsSetting, TrunklineApi } from '../../../preload/contract';

/** The app settings main keeps; changes go through the bridge and come back as events. */
export class SettingsStore {
  theme = $state<AppSettings['theme']>('system');
  notifications = $state(true);
  metrics = $state<MetricsSetting>({ enabled: false, port: 9464 });
  hep = $state<HepSetting>({ enabled: false, target: 'udp:127.0.0.1:9060', captureId: 2001 });
  readonly #api: TrunklineApi;
  readonly #report: (message: string) => void;

  constructor(api: TrunklineApi, report: (message: string) => void) {
    this.#api = api;
    this.#report = report;
  }

  async load(): Promise<void> {
    const result = await this.#api.getSettings();
    if (result.ok) this.apply(result.value);
    else this.#report(`Could not read the settings: ${result.error.message}`);
  }

  apply(settings: AppSettings): void {
    this.theme = settings.theme;
    this.notifications = settings.notifications;
    this.metrics = { ...settings.metrics };
    this.hep = { ...settings.hep };
  }

  async update(patch: Partial<AppSettings>): Promise<void> {
    const result = await this.#api.updateSettings(patch);
    if (result.ok) this.apply(result.value);
    else this.#report(`The setting was not changed: ${result.error.message}`);
  }

  /** Like update, but a refusal naming fields comes back to the form (inline) instead of a notice. */
  async updateFields(patch: Partial<AppSettings>): Promise<BridgeError | null> {
    const result = await this.#api.updateSettings(patch);
    if (result.ok) {
      this.apply(result.value);
      return null;
    }
    if (!result.error.fields?.length) this.#report(`The setting was not changed: ${result.error.message}`);
    return result.error;
  }
}
