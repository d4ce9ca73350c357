import { describe, expect, it } from 'vitest';
import { safeStorageCipher } from '../../../main/shell/secret-cipher';
import { fakeSafeStorage } from './fake-safe-storage';

describe('passwords at rest: safeStorage', () => {
  it('encrypts to base64 ciphertext that is not the password, and decrypts it back', () => {
    const cipher = safeStorageCipher(fakeSafeStorage(), 'linux');
    expect(cipher.refusal()).toBeNull();
    const ciphertext = cipher.encrypt('s3cret');
    expect(ciphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(ciphertext).not.toContain('s3cret');
    expect(Buffer.from(ciphertext, 'base64').toString()).not.toContain('s3cret');
    expect(cipher.decrypt(ciphertext)).toBe('s3cret');
  });

  it('Linux without a keyring (basic_text) is refused with a message that says why and what to do', () => {
    const cipher = safeStorageCipher(fakeSafeStorage({ backend: 'basic_text' }), 'linux');
    const refusal = cipher.refusal();
    expect(refusal).toContain('basic_text');
    expect(refusal).toContain('keyring');
    expect(refusal).toContain('--password-store');
  });

  it('before the backend is known (called before ready) nothing is stored', () => {
    expect(safeStorageCipher(fakeSafeStorage({ backend: 'unknown' }), 'linux').refusal()).toMatch(/not ready/);
  });

  it('kwallet and libsecret are accepted; the Linux backend question is not asked elsewhere', () => {
    for (const backend of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']) expect(safeStorageCipher(fakeSafeStorage({ backend }), 'linux').refusal()).toBeNull();
    // On Windows/macOS there is no basic_text fallback: the backend answer is irrelevant.
    expect(safeStorageCipher(fakeSafeStorage({ backend: 'basic_text' }), 'win32').refusal()).toBeNull();
    expect(safeStorageCipher(fakeSafeStorage({ backend: 'basic_text' }), 'darwin').refusal()).toBeNull();
  });

  it('no OS secret store at all is refused on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(safeStorageCipher(fakeSafeStorage({ available: false }), platform).refusal()).toMatch(/not available/);
    }
  });
});
