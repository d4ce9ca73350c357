import type { LineConfig } from '../../common/line-config';
import type { AppSettings } from '../../preload/contract';
import { DEFAULT_HEP_SETTING, DEFAULT_METRICS_SETTING } from './diagnostics-settings';

export const DEFAULT_SETTINGS: AppSettings = {
  notifications: true,
  theme: 'system',
  metrics: { ...DEFAULT_METRICS_SETTING },
  hep: { ...DEFAULT_HEP_SETTING },
};

/**
 * Where lines and settings live between runs. The Electron app keeps them in electron-store with
 * passwords encrypted by safeStorage; tests and the development host keep them in memory.
 */
export interface LineRepository {
  /** Lines with their passwords in clear, for the engine only. */
  loadLines(): LineConfig[];
  /** Persists the lines; implementations store passwords only encrypted. */
  saveLines(lines: readonly LineConfig[]): void;
  loadSettings(): AppSettings;
  saveSettings(settings: AppSettings): void;
}

export class MemoryLineRepository implements LineRepository {
  private lines: LineConfig[];
  private settings: AppSettings;

  constructor(lines: LineConfig[] = [], settings: AppSettings = DEFAULT_SETTINGS) {
    this.lines = structuredClone(lines);
    this.settings = { ...settings };
  }

  loadLines(): LineConfig[] {
    return structuredClone(this.lines);
  }

  saveLines(lines: readonly LineConfig[]): void {
    this.lines = structuredClone([...lines]);
  }

  loadSettings(): AppSettings {
    return { ...this.settings };
  }

  saveSettings(settings: AppSettings): void {
    this.settings = { ...settings };
  }
}
