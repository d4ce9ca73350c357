/** Reads the electron-builder configuration the way electron-builder itself does. */
import path from 'node:path';
import type { Configuration } from 'app-builder-lib';
import { getConfig as getMergedConfig } from 'app-builder-lib/out/util/config/config';
import { getConfig as readConfigFile } from 'app-builder-lib/out/util/config/load';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

const request = (projectDir: string) => ({ packageKey: 'build', configFilename: 'electron-builder', projectDir, packageMetadata: null });

/** One configuration file as written (no `extends` applied). */
export async function loadBuilderConfig(file = 'electron-builder.yml', projectDir = repoRoot): Promise<Configuration> {
  const loaded = await readConfigFile<Configuration>(request(projectDir), file);
  if (loaded == null) throw new Error(`${file} not found`);
  return loaded.result;
}

/** A configuration file as electron-builder builds with it: `extends` applied, defaults merged. */
export function loadEffectiveConfig(file = 'electron-builder.yml', projectDir = repoRoot): Promise<Configuration> {
  return getMergedConfig(projectDir, file, null);
}

/** Any YAML file, parsed by the same loader (electron-builder reads YAML with js-yaml). */
export async function loadYaml(file: string): Promise<unknown> {
  return (await readConfigFile<unknown>(request(repoRoot), file))?.result;
}
