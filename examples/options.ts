/** What both example apps take on the command line, and how they report. */

export interface ConnectionValues {
  readonly relay?: string;
  readonly room?: string;
  readonly token?: string;
}

export function connectionOptions<V extends ConnectionValues>(
  values: V,
): { relay: string; room: string; token: string; values: V } {
  const token = values.token ?? process.env.CONVERGE_TOKEN;
  if (token === undefined || token === '') fail('pass a room credential with --token (or CONVERGE_TOKEN)', 2);
  return {
    relay: (values.relay ?? 'ws://127.0.0.1:4455').replace(/\/$/, ''),
    room: values.room ?? 'team',
    token,
    values,
  };
}

export function printRoom(room: unknown): void {
  process.stdout.write(`${JSON.stringify(room)}\n`);
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
