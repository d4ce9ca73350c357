import { readFileSync } from 'node:fs';
import type { LineConfig } from '../../common/line-config';
import { parseLinesFile } from '../../common/line-config';
import { formatErrors } from '../../common/schema';

/** Reads a monitor-format config file; throws one message naming every bad field. */
export function readLinesFile(path: string): LineConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseLinesFile(json);
  if (!parsed.ok) throw new Error(`config file ${path} is invalid:\n${formatErrors(parsed.errors)}`);
  return parsed.value;
}
