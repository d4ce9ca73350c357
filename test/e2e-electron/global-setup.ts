import { execFileSync } from 'node:child_process';
import { electronBinary, ELECTRON_MISSING_MESSAGE, repoRoot } from './electron-app';

/** Builds main, preload and the renderer once per run — unless there is no Electron to run them. */
export default function globalSetup(): void {
  if (electronBinary() === null) {
    console.log(ELECTRON_MISSING_MESSAGE);
    return;
  }
  if (process.env.TRUNKLINE_E2E_SKIP_BUILD === '1') return;
  execFileSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit' });
}
