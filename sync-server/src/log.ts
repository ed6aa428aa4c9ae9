/**
 * Structured logs: one JSON object per line, `{ time, level, event, ...fields }`.
 * The sink is injectable (stdout by default; tests capture or silence it).
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(
  level: LogLevel,
  sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit =
    (name: Exclude<LogLevel, 'silent'>) =>
    (event: string, fields?: LogFields): void => {
      if (LOG_LEVELS.indexOf(name) < threshold) return;
      let line: string;
      try {
        line = JSON.stringify({ time: new Date(now()).toISOString(), level: name, event, ...fields });
      } catch {
        // A field that cannot be serialized (a cycle, a BigInt) must not take the caller down.
        line = JSON.stringify({
          time: new Date(now()).toISOString(),
          level: name,
          event,
          unserializable: true,
        });
      }
      sink(line);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = createLogger('silent', () => {});
