import { execFileSync } from 'node:child_process';

/** The specs load out/renderer: build it once per run, from the current sources. */
export default function globalSetup(): void {
  if (process.env.TRUNKLINE_E2E_SKIP_BUILD === '1') return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}
