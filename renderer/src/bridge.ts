/**
 * The renderer's only way out: `window.trunkline`, the typed contract the preload (or the
 * development host's bridge script) defines. Nothing else crosses.
 */
import type { TrunklineApi } from '../../preload/contract';

declare global {
  interface Window {
    readonly trunkline?: TrunklineApi;
  }
}

export function findBridge(): TrunklineApi | null {
  return window.trunkline ?? null;
}
