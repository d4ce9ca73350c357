/**
 * `npx tsx scripts/electronegativity.ts [--verbose]`: static security scan of the Electron code
 * (main/ and preload/ TypeScript sources, scanned together so the global checks see the
 * navigation and permission handlers) with @doyensec/electronegativity. Exits 1 on:
 * - any finding not silenced on its line by `eng-disable CHECK_NAME -- reason`
 *   (electronegativity reads the names up to the first punctuation; the reason after `--` is
 *   for people, and this script insists on one);
 * - any file the scanner could not parse (a file it cannot read is a file not checked);
 * - any weakness csp-evaluator finds in the CSP the app really sends (see below).
 *
 * Two global checks are replaced, not ignored:
 * - CSP_GLOBAL_CHECK only recognises a CSP set through `webRequest.onHeadersReceived` or an HTML
 *   meta tag; the app sends its CSP as a header of its own protocol (content-security-policy.ts).
 *   That exact string is evaluated here with the same csp-evaluator the check uses.
 * - AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK downloads Electron's release list, so its verdict
 *   depends on the network and the day, not on this code; keeping Electron current is the
 *   dependency-update process's job.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../main/shell/content-security-policy';

interface Issue {
  file: string;
  location: { line: number; column: number };
  id: string;
  description: string;
  sample?: string;
  severity: { name: string };
  confidence: { name: string };
}
interface ScanResult {
  issues: Issue[];
  errors: { file: string; message: string; tolerable: boolean }[];
}
interface CspFinding {
  severity: number;
  directive: string;
  value?: string;
  description: string;
}

const root = join(__dirname, '..');
const load = createRequire(__filename);
const scan = load('@doyensec/electronegativity') as (options: Record<string, unknown>) => Promise<ScanResult>;
// The evaluator electronegativity itself uses, resolved from beside it.
const csp = createRequire(load.resolve('@doyensec/electronegativity'))('@doyensec/csp-evaluator');
const electronVersion = (load('electron/package.json') as { version: string }).version;

const TARGETS = ['main', 'preload'];
const EXCLUDED_CHECKS = ['CSPGlobalCheck', 'AvailableSecurityFixesGlobalCheck'];
const SOURCE = /\.(?:ts|tsx|js|mjs|cjs|html)$/;

/**
 * csp-evaluator "maybe" findings accepted for the app's CSP, each with its reason.
 * Key: `directive value`.
 */
const ACCEPTED_CSP_FINDINGS: Record<string, string> = {
  "script-src 'self'":
    "the app origin (app://trunkline/) serves only the built renderer from the app's own files: no JSONP endpoint, no user uploads, no Angular",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

/** Every eng-disable comment must name checks and then give a reason after `--`. */
function unjustifiedDisables(files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      const match = /eng-disable\s+([A-Za-z_\s,]*)(.*)$/.exec(line);
      if (!match) return;
      const reason = /^--\s*(.*?)\s*(?:\*\/)?\s*$/.exec((match[2] ?? '').trim());
      if (!match[1]?.trim() || !reason || (reason[1] ?? '').length < 20) {
        problems.push(`${relative(root, file)}:${index + 1}: eng-disable needs "CHECK_NAME -- why this is safe here"`);
      }
    });
  }
  return problems;
}

function cspProblems(policy: string): string[] {
  const findings = new csp.CspEvaluator(new csp.CspParser(policy).csp, csp.Version.CSP3).evaluate() as CspFinding[];
  return findings
    .filter((f) => f.severity < csp.severities.INFO)
    .filter((f) => !(f.severity === csp.severities.MEDIUM_MAYBE && ACCEPTED_CSP_FINDINGS[`${f.directive} ${f.value ?? ''}`.trim()]))
    .map((f) => `main/shell/content-security-policy.ts: CSP ${f.directive} ${f.value ?? ''}: ${f.description}`);
}

async function main(): Promise<number> {
  const staging = mkdtempSync(join(tmpdir(), 'trunkline-eng-'));
  const failures: string[] = [];
  let findings = 0;
  try {
    for (const target of TARGETS) cpSync(join(root, target), join(staging, target), { recursive: true });
    const originalLog = console.log;
    // The scanner chats (translation and release lookups it tries online): keep it for --verbose.
    if (!process.argv.includes('--verbose')) console.log = () => {};
    let result: ScanResult;
    try {
      result = await scan({ input: staging, isRelative: true, electronVersionOverride: electronVersion, excludeFromScan: EXCLUDED_CHECKS });
    } finally {
      console.log = originalLog;
    }
    for (const issue of result.issues) {
      findings++;
      failures.push(`${issue.file}:${issue.location.line}:${issue.location.column} ${issue.id} (${issue.severity.name}/${issue.confidence.name}): ${issue.description}\n      ${(issue.sample ?? '').trim()}`);
    }
    for (const error of result.errors.filter((e) => !e.tolerable)) failures.push(`${relative(staging, error.file)}: could not be parsed: ${error.message}`);
    failures.push(...TARGETS.flatMap((target) => unjustifiedDisables(sourceFiles(join(root, target)))));
    failures.push(...cspProblems(CONTENT_SECURITY_POLICY));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`electronegativity: ${failures.length} problem(s), ${findings} of them unjustified findings (Electron ${electronVersion}):`);
    for (const failure of failures) console.error(`  ${failure}`);
    console.error('Fix the code, or justify a finding on its own line: /* eng-disable CHECK_NAME -- why it is safe here */');
    return 1;
  }
  console.log(`electronegativity: no unjustified findings in ${TARGETS.join('/, ')}/ and the app CSP (Electron ${electronVersion})`);
  return 0;
}

main().then((code) => process.exit(code), (error: Error) => {
  console.error(`electronegativity: the scan failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
