/** The WebAssembly tree walk: the committed binary is the assembly of the committed text. */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble, WASM_MODULE_FILE, wasmModuleSource } from '../../lambda/build-wasm';

describe('lambda/src/model/wasm/tree-walk.wat', () => {
  it('assembles to the binary the runtime ships (npm run build:wasm remakes it)', async () => {
    expect(readFileSync(WASM_MODULE_FILE, 'utf8')).toBe(wasmModuleSource(await assemble()));
  });
});
