/**
 * Raw HTTP for the emulator's authorize page and phone pages: requests that never follow redirects, and a
 * small reader of the pages' forms, so that a test can press a button as a browser would.
 */
import { expect } from 'chai';

export interface PageAnswer {
  status: number;
  type: string;
  location: string | null;
  setCookie: string | null;
  body: string;
}

/** GET (or another method) without following redirects. */
export async function load(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<PageAnswer> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    location: response.headers.get('location'),
    setCookie: response.headers.get('set-cookie'),
    body: await response.text(),
  };
}

/** The `Cookie` header of a phone that belongs to this openid. */
export const phoneOf = (openid: string): Record<string, string> => ({ cookie: `wxemu_openid=${openid}` });

/** POSTs a urlencoded form to the emulator, as the phone page's buttons do. */
export async function post(base: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
  return load(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);
}

export interface PageForm {
  action: string;
  fields: Record<string, string>;
  /** The text of its button. */
  label: string;
}

/** The POST forms of a page, with their hidden fields (values unescaped) and button labels. */
export function formsOf(page: string): PageForm[] {
  return [...page.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map(([, action, inner]) => ({
    action: unescapeHtml(action!),
    fields: Object.fromEntries(
      [...inner!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(([, name, value]) => [
        unescapeHtml(name!),
        unescapeHtml(value!),
      ]),
    ),
    label: unescapeHtml(/<button[^>]*>([^<]*)<\/button>/.exec(inner!)?.[1] ?? ''),
  }));
}

/** The one form whose button says `label`. */
export function formLabelled(page: string, label: string): PageForm {
  const matching = formsOf(page).filter((form) => form.label.includes(label));
  expect(matching, `forms labelled ${label}`).to.have.length(1);
  return matching[0]!;
}

/** The heading of an error page, such as `10003 redirect_uri 域名与后台配置不一致`. */
export function headingOf(page: string): string {
  return unescapeHtml(/<h1>([\s\S]*?)<\/h1>/.exec(page)?.[1] ?? '');
}

/** Checks that an answer is one of the authorize error pages: 400, HTML, and the heading starts with `code`. */
export function expectErrorPage(answer: PageAnswer, heading: string | RegExp, status = 400): void {
  expect(answer.status, answer.body.slice(0, 300)).to.equal(status);
  expect(answer.type).to.match(/^text\/html/);
  expect(answer.location).to.equal(null);
  expect(answer.body).to.contain('Oops! Something went wrong:(');
  if (typeof heading === 'string') expect(headingOf(answer.body)).to.equal(heading);
  else expect(headingOf(answer.body)).to.match(heading);
}

/** The callback a redirect answer sends to, split into the redirect_uri part and its code and state. */
export function callbackOf(answer: PageAnswer): { url: URL; code: string | null; state: string | null } {
  expect(answer.status, answer.body.slice(0, 300)).to.equal(302);
  expect(answer.location).to.be.a('string');
  const url = new URL(answer.location!);
  return { url, code: url.searchParams.get('code'), state: url.searchParams.get('state') };
}
