/**
 * Redis for the tests of sharing between processes: under CI=true its absence fails the suite (.ci/run starts
 * one); elsewhere those tests are skipped, loudly.
 */
import { createConnection } from 'node:net';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

/** A PING over a plain socket, as .ci/run does: true when Redis answers +PONG. */
function redisAnswers(): Promise<boolean> {
  return redisAnswersOn(REDIS_PORT);
}

/** The same PING, to any port of 127.0.0.1. */
export function redisAnswersOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: REDIS_HOST, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Call in a `before(async function () { … })`: skips the suite loudly, or fails it under CI=true, when Redis does not answer. */
export async function requireRedis(context: Mocha.Context, file: string, purpose: string): Promise<void> {
  if (await redisAnswers()) return;
  if (process.env.CI === 'true') throw new Error(`Redis does not answer on ${REDIS_URL}, and CI=true: .ci/run should have started it`);
  process.stderr.write(
    `\n  !!! SKIPPING ${file}: no Redis answers on ${REDIS_URL}.\n` +
      `  !!! Start one (redis-server --port 6379), or run .ci/run with CI=true, ${purpose}.\n\n`,
  );
  context.skip();
}
