/**
 * The release workflow cannot run here (it needs hosted macOS/Windows runners and the signing
 * secrets); these checks hold it to what it must do, and hold the variable names it hands
 * electron-builder to the ones the installed electron-builder actually reads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadYaml, repoRoot } from './builder-config';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string[];
  'runs-on': string;
  env?: Record<string, string>;
  strategy?: { matrix: { os: string[] } };
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[] } };
  jobs: Record<string, Job>;
}

const WORKFLOW = '.github/workflows/release.yml';
const text = readFileSync(path.join(repoRoot, WORKFLOW), 'utf8');
const load = async () => (await loadYaml(WORKFLOW)) as Workflow;
const builderSource = (file: string) => readFileSync(path.join(repoRoot, 'node_modules', 'app-builder-lib', 'out', file), 'utf8');

describe('release workflow (.github/workflows/release.yml)', () => {
  it('runs for v* tags: tests gate a build on macOS, Windows and Linux, and the release is published last', async () => {
    const workflow = await load();
    expect(workflow.on.push.tags).toEqual(['v*']);
    const { prepare, test, build, publish } = workflow.jobs;
    expect(test!.steps.map((s) => s.run)).toContain('npm test');
    expect(build!.needs).toEqual(expect.arrayContaining(['prepare', 'test']));
    expect(build!.strategy!.matrix.os).toEqual(['macos-latest', 'windows-latest', 'ubuntu-latest']);
    expect(publish!.needs).toEqual(expect.arrayContaining(['build']));
    expect(prepare!.steps.some((s) => s.run?.includes('gh release create') && s.run.includes('--draft'))).toBe(true);
  });

  it('each platform installs normally (with the Electron binary), builds, then electron-builder --publish always', async () => {
    const { build } = (await load()).jobs;
    const runs = build!.steps.map((s) => s.run ?? '');
    const at = (command: string) => runs.findIndex((run) => run.includes(command));
    expect(text).not.toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('npm run build')).toBeGreaterThan(at('npm ci'));
    for (const platform of ['--mac', '--win', '--linux']) {
      const step = build!.steps.find((s) => s.run?.includes(platform));
      expect(step?.run, platform).toMatch(/npx electron-builder/);
      expect(step?.run, platform).toContain('--publish always');
      expect(build!.steps.indexOf(step!)).toBeGreaterThan(at('npm run build'));
    }
  });

  it('every credential comes from the secret store, and only into the steps that use it', async () => {
    const workflow = await load();
    const credential = /^(GH_TOKEN|CSC_LINK|CSC_KEY_PASSWORD|WIN_CSC_LINK|WIN_CSC_KEY_PASSWORD|MAC_CSC_LINK|APPLE_ID|APPLE_APP_SPECIFIC_PASSWORD|APPLE_TEAM_ID|APPLE_API_KEY_P8|APPLE_API_KEY_ID|APPLE_API_ISSUER|AZURE_\w+)$/;
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const variable of Object.keys(job.env ?? {})) expect(credential.test(variable), `${name}: job-wide ${variable}`).toBe(false);
      for (const step of job.steps) {
        for (const [variable, value] of Object.entries(step.env ?? {})) {
          if (credential.test(variable)) expect(value, `${name}/${step.name}: ${variable}`).toMatch(/^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$/);
        }
      }
    }
    // no npm ci (install scripts) ever sees a credential
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.run?.includes('npm ci'))) expect(step.env ?? {}).toEqual({});
    }
  });

  it('hands electron-builder the variables it reads (checked in the installed electron-builder\'s code)', () => {
    const signing = builderSource('platformPackager.js');
    expect(signing).toContain('process.env.CSC_LINK');
    expect(signing).toContain('process.env.CSC_KEY_PASSWORD');
    expect(builderSource('codeSign/windowsSignToolManager.js')).toContain('"WIN_CSC_LINK"');
    expect(builderSource('winPackager.js')).toContain('process.env.WIN_CSC_KEY_PASSWORD');
    const notarize = builderSource('mac/MacTargetHelper.js');
    for (const variable of ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID', 'APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER']) {
      expect(notarize, variable).toContain(`process.env.${variable}`);
      expect(text, variable).toContain(variable);
    }
    for (const variable of ['CSC_LINK', 'CSC_KEY_PASSWORD', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD']) expect(text).toMatch(new RegExp(`^\\s+${variable}: \\$\\{\\{ secrets\\.`, 'm'));
    // Azure Trusted Signing is configured as win.azureSignOptions, with these required fields
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as { definitions: Record<string, { required?: string[] }> };
    for (const field of schema.definitions.WindowsAzureSigningConfiguration!.required!) expect(text).toContain(`-c.win.azureSignOptions.${field}=`);
  });

  it('every secret it reads is listed in the README\'s Releasing section', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const releasing = readme.slice(readme.indexOf('## Releasing'));
    expect(readme).toContain('## Releasing');
    const secrets = new Set([...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]!).filter((s) => s !== 'GITHUB_TOKEN'));
    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) expect(releasing, secret).toContain(`\`${secret}\``);
  });
});
