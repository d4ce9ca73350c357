/**
 * Just enough of PNG, ICO and ICNS to check the icons electron-builder packs: sizes from the
 * files' own headers, written independently of scripts/make-icons.ts.
 */
import { inflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 6 = RGBA */
  colorType: number;
}

export function isPng(data: Buffer): boolean {
  return data.subarray(0, 8).equals(PNG_SIGNATURE);
}

/** The IHDR chunk, which PNG requires to come first. */
export function pngHeader(data: Buffer): PngHeader {
  if (!isPng(data)) throw new Error('not a PNG');
  if (data.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bitDepth: data[24]!, colorType: data[25]! };
}

/** RGBA pixels of an 8-bit RGBA, non-interlaced PNG. */
export function pngPixels(data: Buffer): Buffer {
  const { width, height, bitDepth, colorType } = pngHeader(data);
  if (bitDepth !== 8 || colorType !== 6) throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colorType}`);
  const idat: Buffer[] = [];
  for (let offset = 8; offset < data.length; ) {
    const length = data.readUInt32BE(offset);
    if (data.toString('latin1', offset + 4, offset + 8) === 'IDAT') idat.push(data.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const left = x >= 4 ? out[y * stride + x - 4]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const upLeft = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const paeth = () => {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      };
      const predictor = [0, left, up, (left + up) >> 1, filter === 4 ? paeth() : 0][filter]!;
      out[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + predictor) & 0xff;
    }
  }
  return out;
}

export interface IcoImage {
  width: number;
  height: number;
  format: 'png' | 'bmp';
}

/** The images of an .ico file, with each one's size read from its own data (PNG IHDR or BITMAPINFOHEADER). */
export function icoImages(data: Buffer): IcoImage[] {
  if (data.readUInt16LE(0) !== 0 || data.readUInt16LE(2) !== 1) throw new Error('not an icon file');
  const count = data.readUInt16LE(4);
  const images: IcoImage[] = [];
  for (let i = 0; i < count; i++) {
    const entry = 6 + 16 * i;
    const declared = { width: data[entry]! || 256, height: data[entry + 1]! || 256 };
    const size = data.readUInt32LE(entry + 8);
    const offset = data.readUInt32LE(entry + 12);
    if (offset + size > data.length) throw new Error(`icon image ${i} runs past the end of the file`);
    const image = data.subarray(offset, offset + size);
    const found: IcoImage = isPng(image)
      ? { ...pngHeader(image), format: 'png' }
      : { width: image.readInt32LE(4), height: image.readInt32LE(8) / 2, format: 'bmp' };
    if (found.width !== declared.width || found.height !== declared.height) {
      throw new Error(`icon image ${i} is ${found.width}x${found.height} but its directory entry says ${declared.width}x${declared.height}`);
    }
    images.push({ width: found.width, height: found.height, format: found.format });
  }
  return images;
}

/** The elements of an .icns file: type and the PNG header of its data (where the data is a PNG). */
export function icnsElements(data: Buffer): { type: string; png: PngHeader | null }[] {
  if (data.toString('latin1', 0, 4) !== 'icns') throw new Error('not an icns file');
  if (data.readUInt32BE(4) !== data.length) throw new Error('icns length does not match the file');
  const elements: { type: string; png: PngHeader | null }[] = [];
  for (let offset = 8; offset < data.length; ) {
    const type = data.toString('latin1', offset, offset + 4);
    const length = data.readUInt32BE(offset + 4);
    if (length < 8 || offset + length > data.length) throw new Error(`icns element ${type} has a bad length`);
    const body = data.subarray(offset + 8, offset + length);
    elements.push({ type, png: isPng(body) ? pngHeader(body) : null });
    offset += length;
  }
  return elements;
}
