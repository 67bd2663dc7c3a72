/**
 * Docs are checked code: every ```ts and ```js block of README.md and docs/**\/*.md (found afresh on each run,
 * so a new page is checked without a change here) is written to a file of its own and type-checked by the
 * TypeScript compiler, as a module of a site that has installed this package: `koa-wechat-subscription` and
 * `koa-wechat-subscription/emulator` resolve to the sources. JavaScript blocks are checked too (`checkJs`).
 * A block that cannot stand alone is preceded by `<!-- docs-check: skip (why) -->`; those are counted and listed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside the repository, so that the blocks' imports of koa, koa-session… resolve to its node_modules. */
const OUT = join(ROOT, 'test-results', 'doc-blocks');
const SKIP = /^<!--\s*docs-check:\s*skip\b(.*?)-->\s*$/;
const FENCE = /^```(ts|typescript|js|javascript)\s*$/;

interface Block {
  /** `docs/emulator.md:42`: where the fence opens. */
  where: string;
  language: 'ts' | 'js';
  code: string;
  /** The reason given in the opt-out comment; undefined for a checked block. */
  skipped: string | undefined;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', ...docs.sort()];
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = FENCE.exec(lines[index]!);
    if (fence === null) continue;
    const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
    const previous = lines.slice(0, index).findLast((line) => line.trim() !== '');
    const skip = previous === undefined ? null : SKIP.exec(previous);
    blocks.push({
      where: `${file}:${index + 1}`,
      language: fence[1]!.startsWith('t') ? 'ts' : 'js',
      code: lines.slice(index + 1, end).join('\n'),
      skipped: skip === null ? undefined : skip[1]!.trim().replace(/^\((.*)\)$/, '$1') || 'no reason given',
    });
    index = end;
  }
  return blocks;
}

const blocks = markdownFiles().flatMap(blocksOf);
const checked = blocks.filter((block) => block.skipped === undefined);

/** Each checked block's diagnostics, from one compilation of them all. */
function compile(): Map<Block, string[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const fileOf = new Map<string, Block>();
  checked.forEach((block, index) => {
    const name = join(OUT, `${block.where.replace(/[/:.]/g, '_')}_${index}.${block.language === 'ts' ? 'mts' : 'mjs'}`);
    // An explicit module, so that top-level await and names of one block never meet another's.
    writeFileSync(name, `${block.code}\nexport {};\n`);
    fileOf.set(name, block);
  });
  const program = ts.createProgram([...fileOf.keys()], {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    strict: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    paths: {
      'koa-wechat-subscription': [join(ROOT, 'lib/index.ts')],
      'koa-wechat-subscription/emulator': [join(ROOT, 'lib/emulator/index.ts')],
    },
  });
  const found = new Map<Block, string[]>(checked.map((block) => [block, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const block = diagnostic.file === undefined ? undefined : fileOf.get(diagnostic.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (block === undefined) {
      // A problem outside the blocks (the library's own types) fails every block: say so once, on the first.
      found.get(checked[0]!)!.push(`${diagnostic.file?.fileName ?? 'options'}: ${message}`);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    found.get(block)!.push(`line ${line + 1} of the block: ${message}`);
  }
  return found;
}

describe('docs: every ts/js code block of README.md and docs/ type-checks against the package', function () {
  // One compilation of every block with the library's sources: a few seconds.
  this.timeout(120_000);
  let diagnostics: Map<Block, string[]>;

  before(() => {
    diagnostics = compile();
    const list = (of: Block[], what: (block: Block) => string) =>
      of.map((block) => `    ${block.where} (${block.language})${what(block)}`).join('\n');
    console.log(`  ${checked.length} blocks checked:\n${list(checked, () => '')}`);
    const skipped = blocks.filter((block) => block.skipped !== undefined);
    console.log(`  ${skipped.length} blocks opted out:${skipped.length === 0 ? ' none' : `\n${list(skipped, (block) => `: ${block.skipped}`)}`}`);
  });

  it('finds blocks in the README and in docs/', () => {
    expect(checked.some((block) => block.where.startsWith('README.md:'))).to.equal(true);
    expect(checked.some((block) => block.where.startsWith('docs/'))).to.equal(true);
  });

  for (const block of checked) {
    it(`${block.where} (${block.language})`, () => {
      expect(diagnostics.get(block), relative(ROOT, block.where)).to.deep.equal([]);
    });
  }
});

describe("docs: the README's test command is the one CI runs", () => {
  it('README shows `npm test` in its Develop and test section, and .ci/run ends with exactly that command', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Develop and test'), readme.indexOf('## More documentation'));
    expect(section, 'the README has a Develop and test section').to.match(/^```sh\n(?:.*\n)*?npm test\b/m);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8').trimEnd().split('\n');
    expect(ci.at(-1)).to.equal('npm test');
  });
});
