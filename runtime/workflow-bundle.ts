// Workflow bundles, built once and kept in .data/workflow-bundles/ until a file in them changes.
// Bundling the workflows is most of what a worker's start costs (about 5 s alone, 14 s and more on a
// busy machine): the worker (worker.ts), every workflow test, the replay of the recorded histories
// and the versioning test run the same code, so they share one bundle (and one more with the
// tracing interceptors), across processes, restarts and runs. A worker restarted after a crash is
// polling again in a second or two instead of bundling first. The unit project's global setup
// (test/unit-setup.ts) builds them before any test file starts, so two files never bundle side by side.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

// The checkout (this module imports nothing of ours: the test global setup stays light).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The worker's workflows (worker.ts WORKFLOWS_PATH; not imported, so the global setup stays light). */
export const WORKFLOW_ENTRY = path.join(ROOT, 'workflows/index.ts');

const DIR = path.join(ROOT, '.data/workflow-bundles');
const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, log: noop, warn: noop, error: console.error };

export interface BundleOptions {
  /** The workflows' entry module (default: the worker's). */
  workflowsPath?: string;
  /** Workflow interceptor modules compiled into the bundle (the tracing replay's). */
  workflowInterceptorModules?: string[];
}

/** What `Worker.create({ workflowBundle })` takes: the cached file, or the code when it could not be cached. */
export type WorkflowBundle = { codePath: string } | { code: string };

/** What a bundle was built from: each of our source files in it (webpack names them) and its hash. */
interface Manifest {
  key: string;
  files: Record<string, string>;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hashOf = (file: string): string | undefined => {
  try {
    return sha(readFileSync(path.join(ROOT, file)));
  } catch {
    return undefined;
  }
};

/**
 * The bundle of these options, as a path for `Worker.create({ workflowBundle })` or
 * `Worker.runReplayHistories`: the cached one when every source file it was built from is
 * unchanged (and the lockfile, which pins the SDK), else a new one. Bundles of another checkout
 * sharing .data have another name (the entry's absolute path is part of it).
 */
export async function workflowBundle(options: BundleOptions = {}): Promise<WorkflowBundle> {
  const workflowsPath = options.workflowsPath ?? WORKFLOW_ENTRY;
  const modules = options.workflowInterceptorModules ?? [];
  const key = sha(JSON.stringify({ workflowsPath, modules, lock: hashOf('package-lock.json') }));
  const base = path.join(DIR, key.slice(0, 16));
  const codePath = `${base}.js`;
  try {
    const manifest = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Manifest;
    if (manifest.key === key && Object.entries(manifest.files).every(([file, hash]) => hashOf(file) === hash)) return { codePath };
  } catch {
    // No bundle yet, or one being written: build it.
  }
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: modules, logger: quietBundlerLogger });
  // webpack heads each module with its path relative to the root: `/*!*** ./workflows/ping.ts ***!*/`.
  // node_modules is pinned by the lockfile; the SDK's generated entry point exists only while bundling.
  const manifest: Manifest = { key, files: {} };
  for (const [, file] of code.matchAll(/!\*\*\* \.\/(\S+) \*\*\*!/g)) {
    const hash = file!.startsWith('node_modules/') ? undefined : hashOf(file!);
    if (hash) manifest.files[file!] = hash;
  }
  // Written aside and renamed: a reader never sees half a file. The code goes first: new code
  // under the old manifest does not match the changed files, so it is only ever rebuilt.
  const tmp = `${base}.${process.pid}.tmp`;
  try {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(tmp, code);
    renameSync(tmp, codePath);
    // No source file named (webpack's headers changed): nothing could tell the cache stale, so none.
    if (Object.keys(manifest.files).some((f) => f.endsWith(path.basename(workflowsPath)))) {
      writeFileSync(tmp, JSON.stringify(manifest));
      renameSync(tmp, `${base}.json`);
    }
  } catch (err) {
    // A read-only checkout (an image without a writable .data): the bundle is used from memory,
    // and built again at the next start.
    console.warn(`workflow bundle not cached in ${DIR}: ${(err as Error).message}`);
    return { code };
  }
  return { codePath };
}
