import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) beside `from` (the caller's `import.meta.url`).
 * Running from source under tsx, a worker does not inherit tsx's loader hooks on Node 20, so the worker first
 * registers them and then imports the TypeScript entry; built code (dist/*.js) starts the .js entry directly.
 */
export function spawnWorker(from: string, name: string, workerData?: unknown): Worker {
  if (from.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${name}.ts`, from).href;
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(new URL(`./${name}.js`, from), { workerData });
}
