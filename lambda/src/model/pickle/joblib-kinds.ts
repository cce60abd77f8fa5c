/**
 * Model files by their first bytes: joblib's compressions (as joblib's _detect_compressor
 * matches them) and the kinds this runtime cannot read, named so that a refusal says what the
 * file is rather than that it is not JSON.
 */

/** The magic bytes of the compressions joblib writes, as its _detect_compressor matches them. */
const COMPRESSIONS: readonly [string, number[]][] = [
  ['zlib', [0x78]],
  ['gzip', [0x1f, 0x8b]],
  ['bz2', [0x42, 0x5a]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['lzma', [0x5d, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((byte, i) => bytes[i] === byte);

/** The compression of a joblib file, when it is one joblib writes. */
export function joblibCompression(bytes: Uint8Array): string | undefined {
  return COMPRESSIONS.find(([, prefix]) => startsWith(bytes, prefix))?.[0];
}

/** What a model file this runtime cannot read is, for the message, when it is a known kind. */
export function unreadableKind(bytes: Uint8Array): string | undefined {
  const compression = joblibCompression(bytes);
  if (compression !== undefined && compression !== 'zlib' && compression !== 'gzip') {
    return `a joblib file compressed with ${compression}, which this runtime does not decompress: dump it uncompressed, or with compress=('zlib', 3) or ('gzip', 3)`;
  }
  if (startsWith(bytes, [0x5a, 0x46]))
    return 'a joblib file of joblib before 0.10 (ZF), whose format this runtime does not read: dump it again with a newer joblib';
  // Protocols 0 and 1 have no PROTO opcode: a model's pickle then begins with a GLOBAL, a MARK or an empty container, and ends at STOP.
  if (bytes.length > 1 && 'c(]})'.includes(String.fromCharCode(bytes[0])) && bytes[bytes.length - 1] === 0x2e) {
    return "a pickle of protocol 0 or 1 (it has no PROTO opcode), which this runtime does not read: dump it with protocol 2 or later (pickle.dump's default)";
  }
  return undefined;
}
