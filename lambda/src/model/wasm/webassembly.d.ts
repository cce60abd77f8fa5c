// The WebAssembly API that Node.js has, as far as the tree walk uses it: @types/node does not
// declare it (TypeScript's does, in its DOM library, which this project does not load).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
