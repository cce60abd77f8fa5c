/**
 * Whether a value is an object with keys: what JSON.parse makes of `{...}`, not null, an
 * array or a typed array (which a pickle's arrays become). The one copy of this test for the
 * ride checks and the model's specs.
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
