/**
 * The layout is the architecture, checked: the pure core (client, tokens, store, subscriptions, the sign-in
 * flow, push, WeChat's shapes, utilities) never imports Koa nor anything above it; the Koa adapter imports
 * nothing from the two entry points above it. Read off the sources' import lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';

const LIB = new URL('../lib/', import.meta.url).pathname;
const CORE = ['client', 'tokens', 'store', 'subscriptions', 'sign-in', 'push', 'wechat', 'util'];
/** Above the core: the definitions of options and public types, the composition, the adapter and the entry points. */
const ABOVE_CORE = ['koa/', 'options.js', 'types.js', 'services.js', 'create-wechat.js', 'index.js', 'emulator/'];
const ENTRY_POINTS = ['create-wechat.js', 'index.js'];

function sources(folder: string): string[] {
  return readdirSync(join(LIB, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(LIB, folder, name));
}

/** Each import of `file`, resolved against lib/ (`koa/gate.js`), or the bare package name (`koa`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from '([^']+)'/gms)].map(([, target]) =>
    target!.startsWith('.') ? relative(LIB, join(file, '..', target!)) : target!,
  );
}

describe('architecture: nothing imports upward', () => {
  for (const folder of CORE) {
    it(`lib/${folder} imports neither Koa nor anything above the core`, () => {
      const wrong = sources(folder).flatMap((file) =>
        importsOf(file)
          .filter((target) => target === 'koa' || target.startsWith('@koa/') || ABOVE_CORE.some((above) => target.startsWith(above)))
          .map((target) => `${relative(LIB, file)} → ${target}`),
      );
      expect(wrong).to.deep.equal([]);
    });
  }

  it('lib/koa imports nothing from the entry points above it', () => {
    const wrong = sources('koa').flatMap((file) =>
      importsOf(file)
        .filter((target) => ENTRY_POINTS.includes(target))
        .map((target) => `${relative(LIB, file)} → ${target}`),
    );
    expect(wrong).to.deep.equal([]);
  });

  it("the check reads imports at all (it would see the adapter's own)", () => {
    expect(importsOf(join(LIB, 'koa/gate.ts'))).to.include.members(['koa', 'sign-in/decide.js']);
  });
});
