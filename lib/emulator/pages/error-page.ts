/**
 * The page WeChat shows instead of authorizing: "Oops! Something went wrong:(" and a code with its meaning.
 * The emulator adds one line that says what to fix, which the real page never does.
 */
import { html, page } from './html.js';

export interface AuthorizeProblem {
  /** WeChat's 100xx code, where it has one. */
  code: number | undefined;
  /** WeChat's own words. */
  zh: string;
  en: string;
  /** What to change, for the developer. */
  fix: string;
}

export function errorPage(problem: AuthorizeProblem): string {
  return page({
    title: 'Oops! Something went wrong:(',
    body: html`<div class="card error">
  <h1>${problem.code === undefined ? '' : `${problem.code} `}${problem.zh}</h1>
  <p>${problem.en}</p>
  <p class="muted">Emulator: ${problem.fix}</p>
</div>`,
  });
}
