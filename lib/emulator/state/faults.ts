/**
 * Faults for tests: the next N calls of an endpoint answer as WeChat does on a bad day, instead of normally.
 */

/** `busy`: errcode -1. `quota`: 45009. `html500`: a proxy's HTML 500 page. `hang`: no answer until the client gives up. `reset`: the connection is cut. */
export type FaultKind = 'busy' | 'quota' | 'html500' | 'hang' | 'reset';

export const FAULT_KINDS: readonly FaultKind[] = ['busy', 'quota', 'html500', 'hang', 'reset'];

/** Any WeChat API endpoint, as opposed to a path. */
export const ANY_ENDPOINT = '*';

interface PlannedFault {
  endpoint: string;
  kind: FaultKind;
  remaining: number;
}

export class FaultPlan {
  #planned: PlannedFault[] = [];

  /** The next `times` calls of `endpoint` (a path such as `/cgi-bin/token`, or `*`) answer with `kind`. */
  inject(endpoint: string, kind: FaultKind, times = 1): void {
    if (!FAULT_KINDS.includes(kind)) throw new TypeError(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (!Number.isInteger(times) || times < 1 || times > 1_000_000) throw new TypeError('times must be a whole number from 1');
    this.#planned.push({ endpoint, kind, remaining: times });
  }

  /** The fault that answers this call instead of the endpoint, if one is planned; used up as it is taken. */
  take(path: string): FaultKind | undefined {
    const fault = this.#planned.find((each) => each.endpoint === path || each.endpoint === ANY_ENDPOINT);
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.#planned = this.#planned.filter((each) => each !== fault);
    return fault.kind;
  }

  pending(): Array<{ endpoint: string; kind: FaultKind; remaining: number }> {
    return this.#planned.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.#planned = [];
  }
}
