// A reusable decoder fuzzer: random bytes and mutations of valid encodings (bit flips, truncations,
// splices, inserted/deleted/duplicated chunks, oversized varints). Every input must either decode or
// throw a DecodeError; anything else (another error type, a hang, a value that cannot be re-encoded)
// is a bug. The seed and the offending input are in every failure message.
import { DecodeError, SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from './budget.ts';

export interface FuzzOptions<T> {
  /** Number of inputs; default budget(3000, 100000). */
  readonly cases?: number;
  /** Default testSeed() (TEST_SEED replays). */
  readonly seed?: number;
  /**
   * If given, every accepted input must be a valid value: it re-encodes, the re-encoding decodes,
   * and encoding is a fixed point (encode(decode(encode(v))) equals encode(v)).
   */
  readonly encode?: (value: T) => Uint8Array;
  /** Extra checks on every accepted value (e.g. its view can be computed); throw to fail. */
  readonly check?: (value: T) => void;
}

export interface FuzzReport {
  readonly name: string;
  readonly seed: number;
  readonly cases: number;
  /** Inputs that decoded to a value (mostly unmutated or harmlessly mutated samples). */
  readonly accepted: number;
  /** Inputs rejected with a DecodeError. */
  readonly rejected: number;
}

/** Bytes that tend to hit edge cases in varint and length parsing. */
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff];

/**
 * Fuzz `decode` with `cases` inputs derived from `validSamples` (which must all decode).
 * Throws an Error naming the decoder, the seed and the input on the first violation.
 */
export function fuzzDecoder<T>(
  name: string,
  decode: (bytes: Uint8Array) => T,
  validSamples: readonly Uint8Array[],
  options: FuzzOptions<T> = {},
): FuzzReport {
  const seed = options.seed ?? testSeed();
  const cases = options.cases ?? budget(3000, 100_000);
  if (validSamples.length === 0) throw new Error(`fuzzDecoder(${name}): no valid samples`);
  for (const sample of validSamples) {
    const value = decode(sample); // a valid sample that does not decode is a bug in the test or the codec
    options.check?.(value);
  }

  const rng = new SeededRandom(seed);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < cases; i++) {
    const input = fuzzInput(rng, validSamples);
    const fail = (why: string): never => {
      throw new Error(
        `fuzzDecoder(${name}) case ${i}, seed ${seed} (replay with TEST_SEED=${seed}): ${why}\n  input: ${hex(input)}`,
      );
    };
    let value: T;
    try {
      value = decode(input);
    } catch (error) {
      if (error instanceof DecodeError) {
        rejected++;
        continue;
      }
      fail(`threw ${describe(error)} instead of a DecodeError`);
    }
    accepted++;
    try {
      options.check?.(value!);
      if (options.encode) {
        const bytes = options.encode(value!);
        const again = options.encode(decode(bytes));
        if (hex(again) !== hex(bytes)) fail('re-encoding an accepted value is not a fixed point');
      }
    } catch (error) {
      fail(`accepted value is invalid: ${describe(error)}`);
    }
  }
  return { name, seed, cases, accepted, rejected };
}

/** One fuzz input: pure noise, a header-led tail, or one to three mutations of a valid sample. */
export function fuzzInput(rng: SeededRandom, samples: readonly Uint8Array[]): Uint8Array {
  const roll = rng.next();
  if (roll < 0.1) return randomBytes(rng, rng.int(0, 48));
  if (roll < 0.2) {
    // Keep a valid header so the body parser is exercised, then noise.
    const sample = rng.pick(samples);
    return concat(sample.subarray(0, Math.min(sample.length, 4)), randomBytes(rng, rng.int(0, 40)));
  }
  let bytes: Uint8Array = rng.pick(samples).slice();
  const mutations = rng.int(1, 3);
  for (let m = 0; m < mutations; m++) bytes = mutate(rng, bytes, samples);
  return bytes;
}

function mutate(rng: SeededRandom, bytes: Uint8Array, samples: readonly Uint8Array[]): Uint8Array {
  const at = (): number => rng.int(0, bytes.length); // a cut point, 0..length
  switch (rng.int(0, 8)) {
    case 0: {
      // flip one to three bits
      const out = bytes.slice();
      if (out.length === 0) return out;
      for (let k = rng.int(1, 3); k > 0; k--) {
        const i = rng.int(0, out.length - 1);
        out[i] = (out[i] as number) ^ (1 << rng.int(0, 7));
      }
      return out;
    }
    case 1: {
      const out = bytes.slice();
      if (out.length > 0) out[rng.int(0, out.length - 1)] = rng.pick(INTERESTING_BYTES);
      return out;
    }
    case 2:
      return bytes.slice(0, at()); // truncate
    case 3: {
      // splice: our prefix, another sample's suffix
      const other = rng.pick(samples);
      return concat(bytes.subarray(0, at()), other.subarray(rng.int(0, other.length)));
    }
    case 4: {
      const i = at();
      return concat(bytes.subarray(0, i), randomBytes(rng, rng.int(1, 8)), bytes.subarray(i));
    }
    case 5: {
      const i = at();
      return concat(bytes.subarray(0, i), bytes.subarray(Math.min(bytes.length, i + rng.int(1, 8))));
    }
    case 6: {
      // duplicate a chunk in place
      const i = at();
      const j = Math.min(bytes.length, i + rng.int(1, 16));
      return concat(bytes.subarray(0, j), bytes.subarray(i, j), bytes.subarray(j));
    }
    case 7: {
      // an oversized varint (a huge count or counter)
      const i = at();
      const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, rng.pick([0x0f, 0x7f, 0x01])];
      return concat(bytes.subarray(0, i), Uint8Array.from(huge), bytes.subarray(i));
    }
    default:
      return concat(bytes, randomBytes(rng, rng.int(1, 4))); // trailing garbage
  }
}

function randomBytes(rng: SeededRandom, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
