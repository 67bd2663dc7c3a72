/**
 * What `npm pack` ships, from the repository as it is: the compiled library and its declarations under
 * `dist/`, the README, the LICENSE, the changelog and package.json, and nothing else (no sources, tests, demo
 * or tooling). `npm pack` runs `prepare`, the build a git install runs too.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface PackedFile {
  path: string;
}

describe('package: what npm pack ships', function () {
  // The build (tsc over lib/) takes a few seconds; a loaded CI machine may take longer.
  this.timeout(60_000);
  let files: string[];

  before(async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    // npm prints the build's output before the JSON when scripts run; the JSON is the last top-level array.
    const json = stdout.slice(stdout.lastIndexOf('\n[') + 1);
    files = (JSON.parse(json) as Array<{ files: PackedFile[] }>)[0]!.files.map((file) => file.path);
  });

  it('exactly dist/, README.md, LICENSE, CHANGELOG.md and package.json at the top', () => {
    const top = [...new Set(files.map((path) => (path.includes('/') ? `${path.slice(0, path.indexOf('/'))}/` : path)))].sort();
    expect(top).to.deep.equal(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist/', 'package.json']);
  });

  it('dist/ holds the two entry points, their declarations and the emulator command, and no test or demo', () => {
    for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/emulator/index.js', 'dist/emulator/index.d.ts', 'dist/emulator/cli.js']) {
      expect(files, path).to.include(path);
    }
    expect(files.filter((path) => /(^|\/)(test|demo|bench)\//.test(path) || (path.endsWith('.ts') && !path.endsWith('.d.ts')))).to.deep.equal([]);
  });
});
