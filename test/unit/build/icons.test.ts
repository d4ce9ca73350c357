import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertIcon, type IconFormat } from 'app-builder-lib/out/util/iconConverter';
import { describe, expect, it } from 'vitest';
import { icnsElements, icoImages, pngHeader, pngPixels } from './image-files';
import { loadBuilderConfig, repoRoot } from './builder-config';

const assets = path.join(repoRoot, 'assets');
const read = (relative: string) => readFileSync(path.join(assets, relative));

describe('icons: every size each platform asks for, read from the files themselves', () => {
  it('Linux: a set of square RGBA PNGs named NxN.png from 16 to 1024 (linux.icon is that folder)', async () => {
    const config = await loadBuilderConfig();
    expect(config.linux?.icon).toBe('assets/icons');
    const names = readdirSync(path.join(assets, 'icons')).sort();
    const sizes = names.map((name) => Number(/^(\d+)x\1\.png$/.exec(name)?.[1]));
    expect(sizes.every((size) => Number.isInteger(size))).toBe(true);
    expect(sizes.sort((a, b) => a - b)).toEqual([16, 24, 32, 48, 64, 128, 256, 512, 1024]);
    for (const size of sizes) {
      expect(pngHeader(read(`icons/${size}x${size}.png`)), `${size}x${size}.png`).toEqual({ width: size, height: size, bitDepth: 8, colorType: 6 });
    }
  });

  it('Windows: icon.ico holds 16, 24, 32, 48, 64, 128 and 256 px (electron-builder needs 256)', async () => {
    const config = await loadBuilderConfig();
    expect(config.win?.icon).toBe('assets/icon.ico');
    const images = icoImages(read('icon.ico'));
    expect(images.map((image) => image.width)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(images.every((image) => image.width === image.height)).toBe(true);
    // 256 px as PNG, the small ones as bitmaps: what NSIS and resource editors all accept
    expect(images.find((image) => image.width === 256)?.format).toBe('png');
    expect(images.filter((image) => image.width < 256).every((image) => image.format === 'bmp')).toBe(true);
  });

  it('macOS: icon.icns holds PNGs from 16 to 1024, with the @2x variants', async () => {
    const config = await loadBuilderConfig();
    expect(config.mac?.icon).toBe('assets/icon.icns');
    const elements = icnsElements(read('icon.icns'));
    const expected: Record<string, number> = {
      icp4: 16, icp5: 32, ic11: 32, ic12: 64, ic07: 128, ic13: 256, ic08: 256, ic14: 512, ic09: 512, ic10: 1024,
    };
    expect(elements.map((element) => element.type).sort()).toEqual(Object.keys(expected).sort());
    for (const element of elements) {
      expect(element.png, element.type).toMatchObject({ width: expected[element.type], height: expected[element.type] });
    }
  });

  it('electron-builder takes each platform\'s icon from assets/ as it is (nothing to convert, nothing too small)', async () => {
    const config = await loadBuilderConfig();
    const resolve = (source: string, format: IconFormat) =>
      convertIcon({ sources: [source], fallbackSources: [], roots: [path.join(repoRoot, config.directories!.buildResources!), repoRoot], format, outDir: path.join(tmpdir(), 'trunkline-icons-unused') });
    expect(await resolve(config.mac!.icon!, 'icns')).toEqual({ icons: [{ file: path.join(assets, 'icon.icns'), size: 0 }], isFallback: false });
    expect(await resolve(config.win!.icon!, 'ico')).toEqual({ icons: [{ file: path.join(assets, 'icon.ico'), size: 256 }], isFallback: false });
    const linux = await resolve(config.linux!.icon!, 'set');
    expect(linux.isFallback).toBe(false);
    expect(linux.icons.map((icon) => icon.size)).toEqual([16, 24, 32, 48, 64, 128, 256, 512, 1024]);
  });

  it('tray: 16 px and @2x 32 px in colour (Windows, Linux) and as macOS templates, each also "alert", plus .ico', () => {
    const pairs = ['tray', 'tray-alert', 'trayTemplate', 'trayAlertTemplate'];
    for (const name of pairs) {
      expect(pngHeader(read(`tray/${name}.png`)), name).toMatchObject({ width: 16, height: 16, colorType: 6 });
      expect(pngHeader(read(`tray/${name}@2x.png`)), `${name}@2x`).toMatchObject({ width: 32, height: 32, colorType: 6 });
    }
    for (const name of ['tray', 'tray-alert']) {
      expect(icoImages(read(`tray/${name}.ico`)).map((image) => image.width)).toEqual([16, 20, 24, 32, 40, 48]);
    }
    expect(read('tray/tray@2x.png').equals(read('tray/tray-alert@2x.png'))).toBe(false);
  });

  it('macOS template images are black and alpha only (macOS tints them), and not empty', () => {
    for (const name of ['trayTemplate.png', 'trayTemplate@2x.png', 'trayAlertTemplate.png', 'trayAlertTemplate@2x.png']) {
      const pixels = pngPixels(read(`tray/${name}`));
      let opaque = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3]! === 0) continue;
        opaque++;
        expect([pixels[i], pixels[i + 1], pixels[i + 2]], name).toEqual([0, 0, 0]);
      }
      expect(opaque, name).toBeGreaterThan(pixels.length / 4 / 10);
    }
  });

  it('every generated icon has its committed SVG source and the script that renders it', () => {
    const script = readFileSync(path.join(repoRoot, 'scripts', 'make-icons.ts'), 'utf8');
    for (const source of ['icon.svg', 'icon-mac.svg', 'icon-small.svg', 'tray-alert.svg', 'tray-template.svg', 'tray-alert-template.svg']) {
      const svg = read(`icon-source/${source}`).toString('utf8');
      expect(svg, source).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
      expect(script).toContain(`'${source}'`);
    }
  });
});
