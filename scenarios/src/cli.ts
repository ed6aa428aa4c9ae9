/**
 * `npm run scenario -- FILE.json [--json] [--out REPORT.json] [--relay URL --token TOKEN [--room NAME]]`
 * Runs a scripted scenario and prints its merge report. Exit codes: 0 done, 1 the run failed, 2 bad input.
 * `npm run scenario -- --explore …` runs the differential explorer instead (explore/explore-cli.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { exploreMain } from './explore/explore-cli.ts';
import { formatReport } from './report.ts';
import { runScenario, ScenarioRunError } from './runner.ts';
import { parseScenarioText, ROOM_NAME, ScenarioError } from './scenario.ts';

const USAGE = `usage: npm run -s scenario -- FILE.json [options]
       npm run -s scenario -- --explore [explorer options]   (--explore --help says more)

Runs a scripted scenario with headless replicas and prints the merge report. With --explore, generates
random scenarios, finds where the engines' merges differ and shrinks each kind of difference to a
minimal scenario file.

  --json            print the report as JSON (npm run -s keeps npm's banner out of stdout)
  --out FILE        also write the JSON report to FILE
  --relay URL       run over this relay (ws:// or wss://) instead of the simulation
  --token TOKEN     with --relay: the relay's admin token (also CONVERGE_RELAY_ADMIN_TOKEN), or a
                    credential for the run's room with read, write and admin rights; it mints each
                    replica's credential and sets links and chaos
  --room NAME       with --relay: use this room (otherwise the scenario's, else a fresh room per run)
  -h, --help        print this help

Exit codes: 0 report printed, 1 the run failed, 2 invalid file or arguments.`;

interface Arguments {
  readonly file: string;
  readonly json: boolean;
  readonly out: string | undefined;
  readonly relay: string | undefined;
  readonly token: string | undefined;
  readonly room: string | undefined;
}

async function main(): Promise<number> {
  let parsed: Arguments | 'help';
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { file, json, out, relay, token, room } = parsed;
  // npm runs workspace scripts in the workspace folder; paths are meant relative to where the user typed.
  const here = process.env.INIT_CWD ?? process.cwd();
  const path = resolve(here, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    process.stderr.write(`cannot read ${path}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const scenario = parseScenarioText(text);
    const report = await runScenario(scenario, {
      ...(relay === undefined ? {} : { relayUrl: relay, WebSocket }),
      ...(token === undefined ? {} : { token }),
      ...(room === undefined ? {} : { room }),
    });
    const reportJson = `${JSON.stringify(report, null, 2)}\n`;
    if (out !== undefined) {
      const outPath = resolve(here, out);
      try {
        await writeFile(outPath, reportJson);
      } catch (error) {
        process.stderr.write(`cannot write the report to ${outPath}: ${(error as Error).message}\n`);
        return 1;
      }
    }
    const description = scenario.description === undefined ? '' : `${scenario.description}\n`;
    process.stdout.write(json ? reportJson : `${description}${formatReport(report)}\n`);
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

function parse(): Arguments | 'help' {
  const { values, positionals } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      relay: { type: 'string' },
      token: { type: 'string' },
      room: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new Error('expected exactly one scenario file');
  if (values.relay !== undefined && !/^wss?:\/\//.test(values.relay))
    throw new Error('--relay must be a ws:// or wss:// URL');
  const token = values.token ?? process.env.CONVERGE_RELAY_ADMIN_TOKEN;
  if (values.relay !== undefined && (token === undefined || token === '')) {
    throw new Error("--relay needs --token (the relay's admin token or a room credential with admin rights)");
  }
  if (values.room !== undefined && values.relay === undefined) throw new Error('--room needs --relay');
  if (values.room !== undefined && !ROOM_NAME.test(values.room))
    throw new Error(
      '--room: room names are 1–64 letters, digits, "_", "." and "-", starting with a letter or digit',
    );
  if (values.out === '') throw new Error('--out needs a file name');
  return {
    file: positionals[0] as string,
    json: values.json,
    out: values.out,
    relay: values.relay,
    token,
    room: values.room,
  };
}

process.exitCode = process.argv.includes('--explore')
  ? await exploreMain(process.argv.slice(2))
  : await main();
