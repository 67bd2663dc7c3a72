/** A pause of about `ms`, spread by ±50% so that processes waiting for the same thing do not ask in step. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms * (0.5 + Math.random())));
}
