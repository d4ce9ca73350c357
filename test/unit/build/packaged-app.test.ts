/**
 * Packs the app for real with electron-builder (`--linux dir`) from a copy of this repository,
 * with a placeholder in place of the Electron binary (nothing is downloaded), and reads what
 * came out: app.asar's file list, the fuse wire of the binary, app-update.yml, and the desktop
 * entry the AppImage and deb targets write.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractFile, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import type { AfterPackContext, LinuxPackager } from 'app-builder-lib';
import { LinuxTargetHelper } from 'app-builder-lib/out/targets/LinuxTargetHelper';
import { deepAssign } from 'builder-util-runtime';
import { Arch, build, Platform } from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './builder-config';

/** @electron/fuses' sentinel; the wire after it: version 1, then the 8 fuses it knows, in Electron's default states. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ELECTRON_DEFAULT_WIRE = '10110001';
/** Fuse states as stored in the wire: ASCII '0' and '1'. */
const DISABLE = 0x30;
const ENABLE = 0x31;

/** Left out of the copy: not part of a checkout, or rebuilt here. */
const NOT_COPIED = new Set(['node_modules', '.git', 'release', 'coverage', '.tmp', 'dist', 'test-results', 'playwright-report']);

/** Files a careless build could leave where the packer looks, none of which may ship. */
const PLANTED_BAD = [
  'out/main/shell/app.js.map',
  'out/main/shell/app.ts',
  'out/main/shell/auto-update.d.ts',
  'out/main/sip/engine.test.js',
  'out/main/__tests__/fixture.js',
  'out/renderer/assets/index.js.map',
  'out/renderer/.env',
  'out/main/dev-cert.pem',
  'out/preload/signing.p12',
  'out/.tsbuildinfo.node',
  'out/test/unit/leftover.test.js',
  // The development/test host and the headless monitor run from the repository, never the app.
  'out/main/devhost/dev-host.js',
  'out/main/monitor/cli.js',
  '.env',
  'signing/developer-id.p12',
  'signing/AuthKey_ABC123.p8',
];

/** Built output that must ship (planted when this checkout has not been built). */
const PLANTED_GOOD = ['out/main/shell/app.js', 'out/preload/index.js', 'out/common/line-config.js', 'out/renderer/index.html'];

const ALLOWED_APP_ROOTS = ['/out/main/', '/out/preload/', '/out/common/', '/out/renderer/', '/assets/tray/'];

interface Packed {
  appDir: string;
  asar: string;
  files: string[];
  desktopEntries: Record<'deb' | 'appImage', string>;
}

let work: string;
let packed: Packed;
const ENV = { TRUNKLINE_RELEASE_OWNER: 'trunkline-test-owner', TRUNKLINE_RELEASE_REPO: 'trunkline-test-repo' };
const savedEnv = Object.fromEntries(Object.keys(ENV).map((name) => [name, process.env[name]]));

function copyRepository(to: string): void {
  cpSync(repoRoot, to, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(path.relative(repoRoot, source).split(path.sep)[0]!),
  });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(to, 'node_modules'), 'junction');
  for (const file of [...PLANTED_GOOD.filter((f) => !existsSync(path.join(to, f))), ...PLANTED_BAD]) {
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    writeFileSync(path.join(to, file), file.endsWith('.html') ? '<!doctype html>' : '// planted by packaged-app.test.ts\n');
  }
}

function placeholderElectron(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\n# placeholder\n'), Buffer.from(FUSE_SENTINEL), Buffer.from([1, 8]), Buffer.from(ELECTRON_DEFAULT_WIRE)]));
  chmodSync(path.join(dir, 'electron'), 0o755);
  writeFileSync(path.join(dir, 'LICENSE'), 'placeholder');
  writeFileSync(path.join(dir, 'version'), '38.8.6');
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'trunkline-pack-'));
  const project = path.join(work, 'project');
  copyRepository(project);
  placeholderElectron(path.join(work, 'electron-dist'));
  Object.assign(process.env, ENV);

  const desktopEntries = {} as Packed['desktopEntries'];
  await build({
    projectDir: project,
    targets: Platform.LINUX.createTarget('dir', Arch.x64),
    publish: 'never',
    config: {
      electronDist: path.join(work, 'electron-dist'),
      directories: { output: path.join(work, 'release') },
      npmRebuild: false,
      // The entries AppImage and deb would write (those targets need tools downloaded from GitHub).
      afterPack: async (context: AfterPackContext) => {
        const packager = context.packager as LinuxPackager;
        const helper = new LinuxTargetHelper(packager);
        // as FpmTarget and AppImageTarget build their options
        const options = (target: 'deb' | 'appImage') => deepAssign({}, packager.platformSpecificBuildOptions, packager.config[target]);
        desktopEntries.deb = await helper.computeDesktopEntry(options('deb'));
        desktopEntries.appImage = await helper.computeDesktopEntry(options('appImage'), 'AppRun --no-sandbox %U');
      },
    },
  });
  const appDir = path.join(work, 'release', 'linux-unpacked');
  const asar = path.join(appDir, 'resources', 'app.asar');
  packed = { appDir, asar, files: listPackage(asar, { isPack: false }).map((f) => f.replace(/\\/g, '/')), desktopEntries };
}, 180_000);

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** name@version of every package in a node_modules folder of the archive. */
function packagesInAsar(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of packed.files) {
    const match = /^\/((?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/.exec(file);
    if (!match) continue;
    const manifest = JSON.parse(extractFile(packed.asar, `${match[1]}/package.json`).toString('utf8')) as { name?: string; version?: string };
    if (manifest.name && manifest.version) found.set(match[1]!, `${manifest.name}@${manifest.version}`);
  }
  return found;
}

/** name@version of every package npm installs without --include=dev, from package-lock.json. */
function productionPackages(): { production: Set<string>; devOnly: Set<string> } {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }> };
  const production = new Set<string>();
  const devOnly = new Set<string>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where.includes('node_modules/') || !entry.version) continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    (entry.dev || entry.devOptional ? devOnly : production).add(`${name}@${entry.version}`);
  }
  return { production, devOnly };
}

describe('the packed app (electron-builder --linux dir from a copy of this repository)', () => {
  it('app.asar holds the built output, the tray icons and package.json, and nothing else of the repository', () => {
    const appFiles = packed.files.filter((f) => !f.startsWith('/node_modules/') && f !== '/node_modules');
    const outside = appFiles.filter((f) => {
      const isFolder = appFiles.some((other) => other.startsWith(`${f}/`));
      return !isFolder && f !== '/package.json' && !ALLOWED_APP_ROOTS.some((root) => f.startsWith(root));
    });
    expect(outside).toEqual([]);
    for (const file of PLANTED_GOOD) expect(packed.files, file).toContain(`/${file}`);
    expect(packed.files).toContain('/assets/tray/trayTemplate@2x.png');
    expect(packed.files).toContain('/assets/tray/tray.ico');
    // everything the TypeScript build emitted as JavaScript ships
    const outDir = path.join(repoRoot, 'out', 'main', 'sip');
    if (existsSync(outDir)) {
      for (const name of readdirSync(outDir).filter((n) => n.endsWith('.js'))) expect(packed.files).toContain(`/out/main/sip/${name}`);
    }
  });

  it('no tests, source maps, TypeScript, build info or secrets anywhere in the archive, dependencies included', () => {
    for (const file of PLANTED_BAD) expect(packed.files, file).not.toContain(`/${file}`);
    const bad = packed.files.filter((f) =>
      /\.(map|ts|mts|cts|tsx|pem|key|p8|p12|pfx|cer|crt|der|keychain|mobileprovision|provisionprofile)$/.test(f) ||
      /\/\.env(\.|$)/.test(f) ||
      /tsbuildinfo/.test(f) ||
      (/^\/out\//.test(f) && /(\.(test|spec)\.[cm]?js$|\/(test|tests|__tests__|fixtures)(\/|$))/.test(f)));
    expect(bad).toEqual([]);
    expect(packed.files.some((f) => /^\/test(\/|$)|^\/main\/|^\/scripts\//.test(f))).toBe(false);
  });

  it('node_modules: exactly production dependencies (package-lock.json), never a dev dependency', () => {
    const { production, devOnly } = productionPackages();
    const packages = [...packagesInAsar().values()];
    expect(packages.filter((p) => !production.has(p))).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies)) expect(packages.some((p) => p.startsWith(`${name}@`)), name).toBe(true);
    // a dev dependency ships only as some production package's own dependency (ajv: electron-store's)
    const shippedAnyway = new Set([...production].map((p) => p.slice(0, p.lastIndexOf('@'))));
    for (const name of Object.keys(manifest.devDependencies).filter((n) => !shippedAnyway.has(n))) {
      expect(packages.some((p) => p.startsWith(`${name}@`)), name).toBe(false);
    }
    expect(packages.filter((p) => devOnly.has(p) && !production.has(p))).toEqual([]);
    expect(packages.length).toBeGreaterThan(Object.keys(manifest.dependencies).length);
  });

  it('the binary\'s fuses are flipped as configured, before anything else touches it', async () => {
    const wire = await getCurrentFuseWire(path.join(packed.appDir, 'trunkline'));
    expect({
      runAsNode: wire[FuseV1Options.RunAsNode],
      cookieEncryption: wire[FuseV1Options.EnableCookieEncryption],
      nodeOptions: wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable],
      inspect: wire[FuseV1Options.EnableNodeCliInspectArguments],
      asarIntegrity: wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation],
      onlyAsar: wire[FuseV1Options.OnlyLoadAppFromAsar],
      fileProtocol: wire[FuseV1Options.GrantFileProtocolExtraPrivileges],
    }).toEqual({
      runAsNode: DISABLE,
      cookieEncryption: ENABLE,
      nodeOptions: DISABLE,
      inspect: DISABLE,
      asarIntegrity: ENABLE,
      onlyAsar: ENABLE,
      fileProtocol: DISABLE,
    });
  });

  it('app-update.yml points installed apps at the GitHub release named by the environment', () => {
    const update = readFileSync(path.join(packed.appDir, 'resources', 'app-update.yml'), 'utf8');
    expect(update).toMatch(/^provider: github$/m);
    expect(update).toMatch(/^owner: trunkline-test-owner$/m);
    expect(update).toMatch(/^repo: trunkline-test-repo$/m);
  });

  it('the desktop entry (AppImage and deb) handles sip: and tel: links and files Trunkline under Network;Telephony', () => {
    for (const [target, entry] of Object.entries(packed.desktopEntries)) {
      const lines = entry.split('\n');
      expect(lines, target).toContain('Name=Trunkline');
      expect(lines, target).toContain('MimeType=x-scheme-handler/sip;x-scheme-handler/tel;');
      expect(lines, target).toContain('Categories=Network;Telephony;');
      expect(lines, target).toContain('Icon=trunkline');
      // %U hands the clicked link to the app
      expect(lines.find((line) => line.startsWith('Exec=')), target).toMatch(/ %U$/);
    }
  });
});
