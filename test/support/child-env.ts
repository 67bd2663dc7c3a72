/**
 * The environment of a child process a test starts. Node hands NODE_V8_COVERAGE on to children unless the env
 * names it, so under `npm run coverage` each child would write its own V8 coverage; c8's merge of a process that
 * loaded a file (through tsx) without running it garbles that file's line counts and sinks the total.
 */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_V8_COVERAGE: '' };
}
