/** Every way an error can leave a process, so that tests can scan them all for secrets. */
import { inspect } from 'node:util';
import { SECRETS } from './fixtures.js';

/** message, stack, String(), util.inspect (hidden fields too), JSON, and the same for each `cause` down the chain. */
export function serializations(error: unknown): string[] {
  const out: string[] = [inspect(error, { showHidden: true, depth: null })];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    out.push(
      current.message,
      current.stack ?? '',
      String(current),
      JSON.stringify(current),
      JSON.stringify(current, Object.getOwnPropertyNames(current)),
      inspect(current, { showHidden: true, depth: null, getters: true }),
    );
    current = current.cause;
  }
  return out;
}

/** Any 12 characters in a row of a secret count as a leak: a cut-off token is still a leak. */
const WINDOW = 12;

/** The secrets found in a text, whole or in part, raw or URL-encoded; the client's fixtures unless told otherwise. */
export function leaksIn(text: string, secrets: readonly string[] = SECRETS): string[] {
  return secrets.filter((secret) =>
    [secret, encodeURIComponent(secret)].some((form) => {
      for (let start = 0; start + WINDOW <= form.length; start++) {
        if (text.includes(form.slice(start, start + WINDOW))) return true;
      }
      return false;
    }),
  );
}
