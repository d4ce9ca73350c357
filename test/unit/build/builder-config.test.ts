import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import type { Configuration } from 'app-builder-lib';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { expandMacro } from 'app-builder-lib/out/util/macroExpander';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { loadBuilderConfig, loadEffectiveConfig, repoRoot } from './builder-config';

const CONFIGS = ['electron-builder.yml', 'electron-builder.self-hosted.yml'];

function schemaValidator() {
  const schema: object = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
  // electron-builder's own options (app-builder-lib/out/util/config/schemaValidator.js), less type coercion
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

/** The keys a plist dict sets to <true/>. */
function trueKeys(file: string): string[] {
  const xml = readFileSync(path.join(repoRoot, file), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  return [...xml.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((match) => match[1]!);
}

function* entries(value: unknown, at = ''): Generator<[string, unknown]> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* entries(item, `${at}[${i}]`);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      yield [`${at}.${key}`, item];
      yield* entries(item, `${at}.${key}`);
    }
  }
}

describe('electron-builder configuration', () => {
  it('electron-builder.yml is valid against electron-builder\'s own JSON schema (scheme.json, with ajv)', async () => {
    const validate = schemaValidator();
    for (const file of CONFIGS) {
      const valid = validate(await loadBuilderConfig(file));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(valid, file).toBe(true);
    }
  });

  it('the schema check is not vacuous: a misspelt option fails it', async () => {
    const validate = schemaValidator();
    const config = await loadBuilderConfig();
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsnode: false } })).toBe(false);
    expect(validate({ ...config, mac: { ...config.mac, entitlement: 'assets/entitlements.mac.plist' } })).toBe(false);
  });

  it('electron-builder accepts both files as it will build with them (extends applied, its own validation)', async () => {
    for (const file of CONFIGS) {
      await expect(validateConfiguration(await loadEffectiveConfig(file), new DebugLogger(false)), file).resolves.toBeUndefined();
    }
    // and with what the release workflow adds for Azure Trusted Signing
    const azure = await loadEffectiveConfig();
    const win = { ...azure.win, azureSignOptions: { endpoint: 'https://eus.codesigning.azure.net', codeSigningAccountName: 'a', certificateProfileName: 'p', publisherName: 'Trunkline' } };
    await expect(validateConfiguration({ ...azure, win }, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('fuses: RunAsNode, NODE_OPTIONS and inspect off; cookie encryption, ASAR integrity and ASAR-only on; no file:// privileges', async () => {
    expect((await loadBuilderConfig()).electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('asar on; the app is the built output and package.json, with maps, TypeScript, tests and secrets excluded', async () => {
    const config = await loadBuilderConfig();
    expect(config.asar).toBe(true);
    const files = config.files as (string | { from: string; to: string; filter: string[] })[];
    const includes = files.filter((entry): entry is string => typeof entry === 'string' && !entry.startsWith('!'));
    expect(includes).toEqual(['out/main/**/*', 'out/preload/**/*', 'out/common/**/*', 'out/renderer/**/*', 'package.json']);
    const excludes = files.filter((entry): entry is string => typeof entry === 'string' && entry.startsWith('!')).join(' ');
    for (const pattern of ['*.map', '*.{ts,', 'tsbuildinfo', '{test,spec}', '__tests__', '.env', '*.pem', '*.p12', '*.pfx', '*.p8', '*.key']) {
      expect(excludes).toContain(pattern);
    }
    // electron-builder merges the plain patterns that follow an entry with `from` in front of
    // those before it, which would put the exclusions before the inclusions they are meant to trim
    expect(files.at(-1)).toEqual({ from: 'assets/tray', to: 'assets/tray', filter: ['*.png', '*.ico'] });
  });

  it('macOS: dmg and zip, hardened runtime, microphone and network entitlements, NSMicrophoneUsageDescription, notarized', async () => {
    const { mac } = await loadBuilderConfig();
    expect((mac?.target as { target: string }[]).map((t) => t.target)).toEqual(['dmg', 'zip']);
    expect(mac?.hardenedRuntime).toBe(true);
    expect(mac?.notarize).toBe(true);
    expect(mac?.forceCodeSigning).toBe(true);
    expect(mac?.extendInfo?.NSMicrophoneUsageDescription).toMatch(/microphone/i);
    const app = trueKeys(mac!.entitlements!);
    const helpers = trueKeys(mac!.entitlementsInherit!);
    for (const key of ['com.apple.security.cs.allow-jit', 'com.apple.security.device.audio-input', 'com.apple.security.network.client', 'com.apple.security.network.server']) {
      expect(app, `app: ${key}`).toContain(key);
      expect(helpers, `helpers: ${key}`).toContain(key);
    }
    // no weakening of the hardened runtime beyond what V8 needs
    for (const key of ['com.apple.security.cs.disable-library-validation', 'com.apple.security.cs.allow-dyld-environment-variables', 'com.apple.security.cs.allow-unsigned-executable-memory', 'com.apple.security.get-task-allow']) {
      expect([...app, ...helpers]).not.toContain(key);
    }
  });

  it('sip: and tel: links open Trunkline: protocols for macOS and Linux, and the NSIS include for Windows', async () => {
    const config = await loadBuilderConfig();
    expect(config.protocols).toEqual([
      expect.objectContaining({ schemes: ['sip'] }),
      expect.objectContaining({ schemes: ['tel'] }),
    ]);
    expect(config.nsis?.include).toBe('assets/installer.nsh');
    const nsh = readFileSync(path.join(repoRoot, config.nsis!.include!), 'utf8');
    expect(nsh).toMatch(/!macro customInstall[\s\S]*trunklineRegisterScheme sip[\s\S]*trunklineRegisterScheme tel[\s\S]*!macroend/);
    expect(nsh).toMatch(/!macro customUnInstall[\s\S]*trunklineUnregisterScheme sip[\s\S]*trunklineUnregisterScheme tel[\s\S]*!macroend/);
    expect(nsh).toContain('"URL Protocol"');
    expect(nsh).toContain(String.raw`"%1"`);
  });

  it('Windows: a code-signed NSIS installer; Linux: AppImage and deb filed under Network;Telephony', async () => {
    const config = await loadBuilderConfig();
    expect((config.win?.target as { target: string }[]).map((t) => t.target)).toEqual(['nsis']);
    expect(config.win?.forceCodeSigning).toBe(true);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.linux?.category).toBe('Network;Telephony');
  });

  it('signing identities only from the environment: no certificate, password, key or token in either file', async () => {
    const forbidden = /^(cscLink|cscKeyPassword|cscInstallerLink|cscInstallerKeyPassword|certificateFile|certificatePassword|certificateSha1|certificateSubjectName|identity|token|password|appleId|appleIdPassword|appleApiKey|teamId|provisioningProfile)$/i;
    for (const file of CONFIGS) {
      for (const [at, value] of entries(await loadBuilderConfig(file))) {
        expect(forbidden.test(at.split('.').pop()!.replace(/\[\d+\]$/, '')), `${file}: ${at}`).toBe(false);
        if (typeof value === 'string') expect(value, `${file}: ${at}`).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|^MII[A-Za-z0-9+/]{40}|gh[pousr]_[A-Za-z0-9]{20}/);
      }
    }
  });

  it('publish: a GitHub release named by the environment, expanded by electron-builder\'s own macros', async () => {
    const { publish } = await loadBuilderConfig();
    expect(publish).toEqual({ provider: 'github', owner: '${env.TRUNKLINE_RELEASE_OWNER}', repo: '${env.TRUNKLINE_RELEASE_REPO}' });
    const appInfo = {} as Parameters<typeof expandMacro>[2];
    const saved = process.env.TRUNKLINE_RELEASE_OWNER;
    try {
      process.env.TRUNKLINE_RELEASE_OWNER = 'acme';
      expect(expandMacro('${env.TRUNKLINE_RELEASE_OWNER}', null, appInfo)).toBe('acme');
      delete process.env.TRUNKLINE_RELEASE_OWNER;
      // a missing variable stops the build instead of pointing installed apps nowhere
      expect(() => expandMacro('${env.TRUNKLINE_RELEASE_OWNER}', null, appInfo)).toThrow(/TRUNKLINE_RELEASE_OWNER is not defined/);
    } finally {
      if (saved === undefined) delete process.env.TRUNKLINE_RELEASE_OWNER;
      else process.env.TRUNKLINE_RELEASE_OWNER = saved;
    }
  });

  it('self-hosted: apps read updates from TRUNKLINE_UPDATE_URL instead, and everything else is the same', async () => {
    const base = await loadEffectiveConfig('electron-builder.yml');
    const selfHosted = await loadEffectiveConfig('electron-builder.self-hosted.yml');
    // replaced, not merged into the GitHub entry (which the schema would refuse)
    expect(selfHosted.publish).toEqual([{ provider: 'generic', url: '${env.TRUNKLINE_UPDATE_URL}' }]);
    const rest = (config: Configuration) => {
      const { publish: _publish, extends: _extends, ...others } = config;
      return others;
    };
    expect(rest(selfHosted)).toEqual(rest(base));
  });

  it('channels: on a plain HTTPS server, beta.yml is written for stable releases too, so the beta channel receives them', async () => {
    const config = await loadBuilderConfig();
    expect(config.generateUpdatesFilesForAllChannels).toBe(true);
    expect(config.detectUpdateChannel).not.toBe(false);
  });
});
