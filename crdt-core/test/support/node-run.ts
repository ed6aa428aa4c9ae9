import { type ExecFileOptions, execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run a Node script to its end: its exit code and everything it printed (stdout, then stderr). */
export function runNode(
  args: readonly string[],
  options: ExecFileOptions,
): Promise<{ code: number; output: string }> {
  return run(process.execPath, [...args], options).then(
    (done) => ({ code: 0, output: `${done.stdout}${done.stderr}` }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}
