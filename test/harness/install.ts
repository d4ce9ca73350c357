import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Packages already known to be installed in this process: dpkg is asked once per name. */
const installed = new Set<string>();
let listsUpdated = false;
/** Serialises callers: two instances starting at once must not run apt-get side by side. */
let queue: Promise<void> = Promise.resolve();

async function isInstalled(pkg: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
    return stdout.includes('install ok installed');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`dpkg-query not found: install ${pkg} by hand (the harness only knows apt)`);
    }
    return false; // dpkg-query exits 1 for unknown packages
  }
}

async function apt(args: string[]): Promise<void> {
  // Wait for the dpkg lock instead of failing when another test worker is installing.
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function ensure(pkgs: string[]): Promise<void> {
  const missing: string[] = [];
  for (const pkg of pkgs) {
    if (installed.has(pkg)) continue;
    if (await isInstalled(pkg)) installed.add(pkg);
    else missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing system packages: ${missing.join(' ')} — run: sudo apt-get install -y ${missing.join(' ')}`);
  }
  if (!listsUpdated) {
    await apt(['update']);
    listsUpdated = true;
  }
  await apt(['install', '-y', '--no-install-recommends', ...missing]);
  for (const pkg of missing) installed.add(pkg);
}

/**
 * Makes sure the given Debian packages are installed, so the integration tests work on a fresh
 * machine: runs `apt-get update` (once per process) and `apt-get install -y` for the missing ones.
 * Needs root when something is missing; otherwise it only asks dpkg.
 */
export function ensureSystemPackages(pkgs: string[]): Promise<void> {
  const next = queue.then(() => ensure(pkgs));
  queue = next.catch(() => undefined);
  return next;
}
