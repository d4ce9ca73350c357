import type { AppSettings, TrunklineApi } from '../../../preload/contract';

/** The app settings main keeps; changes go through the bridge and come back as events. */
export class SettingsStore {
  theme = $state<AppSettings['theme']>('system');
  notifications = $state(true);
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
  }

  async update(patch: Partial<AppSettings>): Promise<void> {
    const result = await this.#api.updateSettings(patch);
    if (result.ok) this.apply(result.value);
    else this.#report(`The setting was not changed: ${result.error.message}`);
  }
}
