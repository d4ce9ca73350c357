/**
 * Renders every icon in assets/ from the SVG sources in assets/icon-source/. The output is
 * committed, so neither CI nor a release build runs this; run it after changing a source:
 *
 *   npx tsx scripts/make-icons.ts
 *
 * Needs `rsvg-convert` (Debian: `apt-get install librsvg2-bin`). The .ico and .icns containers
 * are written here, byte for byte, so no other tool is involved.
 *
 *   assets/icons/NxN.png    Linux icon set, 16 to 1024 (electron-builder `linux.icon`)
 *   assets/icon.ico         Windows app, installer and uninstaller: 16 to 256
 *   assets/icon.icns        macOS: 16 to 1024 with the @2x variants, on Apple's icon grid
 *   assets/tray/            tray: colour PNGs (1x, @2x) and .ico for Windows and Linux, and
 *                           black template images for the macOS menu bar; each also "alert"
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';

const assets = path.resolve(__dirname, '..', 'assets');
const source = (name: string) => path.join(assets, 'icon-source', name);

/** Sizes up to this use the simplified mark: the trunk line's points vanish below it. */
const SMALL_MAX = 32;

function render(svg: string, size: number): Buffer {
  try {
    return execFileSync('rsvg-convert', ['--width', String(size), '--height', String(size), source(svg)], { maxBuffer: 64 << 20 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('rsvg-convert is not installed (Debian: apt-get install librsvg2-bin)');
    }
    throw error;
  }
}

const appMark = (size: number) => render(size <= SMALL_MAX ? 'icon-small.svg' : 'icon.svg', size);

/** Decodes the 8-bit RGBA, non-interlaced PNGs that rsvg-convert writes, into RGBA rows. */
function decodeRgba(png: Buffer): { width: number; height: number; rgba: Buffer } {
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colorType, , , interlace] = data.subarray(8);
      if (depth !== 8 || colorType !== 6 || interlace !== 0) throw new Error(`expected 8-bit RGBA non-interlaced PNG, got depth ${depth} type ${colorType}`);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      let value = line[x]!;
      switch (filter) {
        case 0: break;
        case 1: value += a; break;
        case 2: value += b; break;
        case 3: value += (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          value += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`unknown PNG filter ${filter}`);
      }
      rgba[y * stride + x] = value & 0xff;
    }
  }
  return { width, height, rgba };
}

/**
 * An ICO image as a 32-bit DIB (BGRA rows bottom-up, then the 1-bit AND mask): what every
 * Windows consumer reads, including NSIS and resource editors that refuse PNG entries.
 */
function dib(png: Buffer): Buffer {
  const { width, height, rgba } = decodeRgba(png);
  const maskStride = Math.ceil(width / 32) * 4;
  const out = Buffer.alloc(40 + width * height * 4 + maskStride * height);
  out.writeUInt32LE(40, 0);
  out.writeInt32LE(width, 4);
  out.writeInt32LE(height * 2, 8); // colour rows + mask rows
  out.writeUInt16LE(1, 12);
  out.writeUInt16LE(32, 14);
  out.writeUInt32LE(width * height * 4 + maskStride * height, 20);
  const maskStart = 40 + width * height * 4;
  for (let y = 0; y < height; y++) {
    const row = height - 1 - y;
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 4;
      const to = 40 + (row * width + x) * 4;
      out[to] = rgba[from + 2]!;
      out[to + 1] = rgba[from + 1]!;
      out[to + 2] = rgba[from]!;
      out[to + 3] = rgba[from + 3]!;
      if (rgba[from + 3] === 0) out[maskStart + row * maskStride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return out;
}

/** ICO container: 256 px as PNG (Vista and later), smaller sizes as DIB. */
function ico(images: { size: number; png: Buffer }[]): Buffer {
  const payloads = images.map(({ size, png }) => (size >= 256 ? png : dib(png)));
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size }, i) => {
    const entry = 6 + 16 * i;
    header[entry] = size >= 256 ? 0 : size; // 0 means 256
    header[entry + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, entry + 4); // planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(payloads[i]!.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += payloads[i]!.length;
  });
  return Buffer.concat([header, ...payloads]);
}

/** ICNS element types holding PNG data, with the pixel size of each (Apple's @2x types included). */
const ICNS_PNG_TYPES: readonly (readonly [type: string, pixels: number])[] = [
  ['icp4', 16], ['icp5', 32], ['ic11', 32], ['ic12', 64], ['ic07', 128],
  ['ic13', 256], ['ic08', 256], ['ic14', 512], ['ic09', 512], ['ic10', 1024],
];

function icns(renderAt: (size: number) => Buffer): Buffer {
  const elements = ICNS_PNG_TYPES.map(([type, pixels]) => {
    const png = renderAt(pixels);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + elements.reduce((sum, e) => sum + e.length, 0), 4);
  return Buffer.concat([head, ...elements]);
}

function write(relative: string, data: Buffer): void {
  const file = path.join(assets, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`${relative}  ${data.length} bytes`);
}

function main(): void {
  for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) write(`icons/${size}x${size}.png`, appMark(size));
  write('icon.ico', ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: appMark(size) }))));
  const macCache = new Map<number, Buffer>();
  write('icon.icns', icns((size) => macCache.get(size) ?? macCache.set(size, render('icon-mac.svg', size)).get(size)!));

  // Tray: 16 px at 1x and 32 px at @2x (Electron picks the @2x file on HiDPI screens).
  for (const [name, svg] of [['tray', 'icon-small.svg'], ['tray-alert', 'tray-alert.svg'], ['trayTemplate', 'tray-template.svg'], ['trayAlertTemplate', 'tray-alert-template.svg']] as const) {
    write(`tray/${name}.png`, render(svg, 16));
    write(`tray/${name}@2x.png`, render(svg, 32));
  }
  // Windows notification area: 16 px at 100 % up to 32 px at 200 % scaling.
  for (const [name, svg] of [['tray', 'icon-small.svg'], ['tray-alert', 'tray-alert.svg']] as const) {
    write(`tray/${name}.ico`, ico([16, 20, 24, 32, 40, 48].map((size) => ({ size, png: render(svg, size) }))));
  }
}

main();
