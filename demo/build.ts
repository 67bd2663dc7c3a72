/**
 * `npm run build:demo [outDir]`: the demo as a deployable directory (default `build/demo`), to run with
 * production dependencies only: the library and the demo compiled to JavaScript (`lib/`, `demo/`), the views,
 * and the demo's own package.json and lockfile (Koa, koa-views, koa-session… are devDependencies of the
 * library, and tsx is not needed). Deploy it with `npm ci --omit=dev`, then `NODE_ENV=production npm start`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? resolve(ROOT, 'build/demo'));

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', resolve(ROOT, 'tsconfig.demo.json'), '--outDir', out], {
  stdio: 'inherit',
});
cpSync(resolve(ROOT, 'views'), resolve(out, 'views'), { recursive: true });
for (const file of ['package.json', 'package-lock.json']) cpSync(resolve(ROOT, 'demo', file), resolve(out, file));
process.stdout.write(`demo: built into ${out}; there, npm ci --omit=dev, then NODE_ENV=production npm start\n`);
