/**
 * How passwords are protected at rest: Electron `safeStorage` (DPAPI on Windows, Keychain on
 * macOS, the desktop keyring on Linux), stored only as base64 ciphertext. On Linux without a
 * keyring Electron falls back to `basic_text` — a fixed, publicly known key — which this refuses:
 * the person is told, and the password is not stored rather than stored weakly.
 */

/** The part of Electron's `safeStorage` used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export interface SecretCipher {
  /** Null when secrets can be stored safely now; else why not, in words for a person. */
  refusal(): string | null;
  /** Base64 ciphertext. Only call when `refusal()` is null. */
  encrypt(secret: string): string;
  /** Throws when the ciphertext cannot be decrypted (another machine, a lost keyring). */
  decrypt(ciphertext: string): string;
}

const BASIC_TEXT_REFUSAL =
  'No desktop keyring (GNOME Keyring, KWallet) is available, and Electron would protect passwords with a ' +
  'built-in key anyone can read ("basic_text"). Passwords are kept only until Trunkline quits: start a keyring ' +
  '(or run Trunkline with --password-store=gnome-libsecret or --password-store=kwallet6) and enter them again.';

/** Wraps `safeStorage` for `platform` (`process.platform`). */
export function safeStorageCipher(safeStorage: SafeStorageLike, platform: NodeJS.Platform): SecretCipher {
  return {
    refusal() {
      if (platform === 'linux') {
        const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
        if (backend === 'basic_text') return BASIC_TEXT_REFUSAL;
        if (backend === 'unknown') return 'The system password store is not ready yet; passwords are kept only until Trunkline quits.';
      }
      if (!safeStorage.isEncryptionAvailable()) {
        return 'The system password store is not available; passwords are kept only until Trunkline quits. Enter them again once it is.';
      }
      return null;
    },
    encrypt(secret) {
      return safeStorage.encryptString(secret).toString('base64');
    },
    decrypt(ciphertext) {
      return safeStorage.decryptString(Buffer.from(ciphertext, 'base64'));
    },
  };
}
