/**
 * `npm run scenario -- FILE.json [--json] [--relay URL --token TOKEN]`
 * Runs a scripted scenario and prints its merge report. Exit codes: 0 done, 1 the run failed, 2 bad input.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { formatReport } from './report.ts';
import { runScenario, ScenarioRunError } from './runner.ts';
import { parseScenarioText, ScenarioError } from './scenario.ts';

const USAGE = `usage: npm run scenario -- FILE.json [--json] [--relay ws://127.0.0.1:4455 --token TOKEN]
--token: the relay's admin token, or a credential for the scenario's room with read, write and admin
rights (also from CONVERGE_RELAY_ADMIN_TOKEN); it mints each replica's credential and sets links and chaos.`;

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { file, json, relay, token } = parsed;
  // npm runs workspace scripts in the workspace folder; paths are meant relative to where the user typed.
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    process.stderr.write(`cannot read ${path}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const scenario = parseScenarioText(text);
    const report = await runScenario(
      scenario,
      relay === undefined ? {} : { relayUrl: relay, WebSocket, ...(token !== undefined ? { token } : {}) },
    );
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`${path}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `${error instanceof ScenarioRunError ? '' : 'scenario failed: '}${(error as Error).message}\n`,
    );
    return 1;
  }
}

function parse(): { file: string; json: boolean; relay: string | undefined; token: string | undefined } {
  const { values, positionals } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      relay: { type: 'string' },
      token: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new Error('expected exactly one scenario file');
  if (values.relay !== undefined && !/^wss?:\/\//.test(values.relay))
    throw new Error('--relay must be a ws:// or wss:// URL');
  const token = values.token ?? process.env.CONVERGE_RELAY_ADMIN_TOKEN;
  if (values.relay !== undefined && (token === undefined || token === '')) {
    throw new Error("--relay needs --token (the relay's admin token or a room credential with admin rights)");
  }
  return { file: positionals[0] as string, json: values.json, relay: values.relay, token };
}

process.exitCode = await main();
