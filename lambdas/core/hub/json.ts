/**
 * Small helpers for handling findings as plain JSON. The engine receives untrusted JSON from the
 * wire, so it works on `unknown` and narrows explicitly instead of trusting the SDK types.
 */

/** A JSON object as parsed from a request body. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of JSON data; the engine never shares mutable structure with its inputs. A JSON round
 * trip is faster than `structuredClone` for plain data (about 1.6× on a typical finding).
 */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A shallow copy of a plain object with the same own enumerable members, ready to be extended.
 *
 * Why not `{ ...value }`: on Node 20 (V8 11), an object made by spreading and then given new
 * members costs several microseconds per object (measured 3–80 µs for a finding, against 0.1 µs
 * here), which made the spread the largest cost of applying an imported finding. `Object.assign`
 * assigns, so an own `__proto__` member (legal in parsed JSON) would set the prototype: it is
 * copied as an own data member instead.
 */
export function shallowCopy<T extends object>(value: T): T {
  const copy = Object.assign({}, value);
  if (Object.hasOwn(value, "__proto__")) {
    Object.setPrototypeOf(copy, Object.prototype);
    Object.defineProperty(copy, "__proto__", {
      value: Object.getOwnPropertyDescriptor(value, "__proto__")?.value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return copy as T;
}

/** UTF-8 byte length of `value` serialised as JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/** `value` as a string, or `undefined` when it is not one. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
