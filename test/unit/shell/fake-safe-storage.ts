import type { SafeStorageLike } from '../../../main/shell/secret-cipher';

const xor = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a));

/** A safeStorage stand-in: a "v11" prefix and XOR, so ciphertext never shows the secret. */
export function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}): SafeStorageLike & { encrypted: string[] } {
  const encrypted: string[] = [];
  return {
    encrypted,
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString(plain) {
      encrypted.push(plain);
      return Buffer.concat([Buffer.from('v11'), xor(Buffer.from(plain, 'utf8'))]);
    },
    decryptString(buffer) {
      if (buffer.subarray(0, 3).toString() !== 'v11') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return xor(buffer.subarray(3)).toString('utf8');
    },
  };
}
