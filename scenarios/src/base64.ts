/**
 * Base64 for the engine snapshots a scenario file carries (its `start`). Written with atob/btoa, which
 * Node and browsers both have, because the scenario format is also read and written by the app.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

export function fromBase64(text: string): Uint8Array {
  if (!isBase64(text)) throw new RangeError('not base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  const chunks: string[] = [];
  // String.fromCharCode takes its bytes as arguments: chunked to stay far below the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    chunks.push(String.fromCharCode(...bytes.subarray(i, i + 0x8000)));
  }
  return btoa(chunks.join(''));
}
