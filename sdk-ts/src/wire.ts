/**
 * Conversions at the border with the engine: JSON keys between the engine's snake_case and
 * TypeScript's camelCase, and exact decimals in and out. Used inside the package.
 */

import { invalid } from "./errors.js";

/** An exact decimal number as text, as the engine writes money, prices and quantities: `"170.614116"`. */
export type Decimal = string;

/**
 * A decimal the engine accepts: its text (`"0.1"`), a `bigint`, or a `number` that is a safe
 * integer (`10`). Other numbers are refused: `0.1` has no exact binary value, so pass `"0.1"`.
 */
export type DecimalInput = string | number | bigint;

/** UTC milliseconds since the epoch, as the engine keeps time. */
export type Timestamp = number;

/** `value` as decimal text for the engine; `name` is the argument named in an error. */
export function decimal(value: DecimalInput, name: string): string {
  switch (typeof value) {
    case "string":
      if (value.trim() === "") throw invalid(`\`${name}\` is an empty string`);
      return value.trim();
    case "bigint":
      return value.toString();
    case "number":
      if (Number.isSafeInteger(value)) return value.toString();
      throw invalid(
        `\`${name}\` must be a decimal string, a bigint or a safe integer, got the number ${value}` +
          (Number.isFinite(value) ? ` (floats are inexact: pass "${value}" as a string)` : ""),
      );
    default:
      throw invalid(`\`${name}\` must be a decimal string, a bigint or a safe integer, got ${describe(value)}`);
  }
}

/** `decimal(value)`, or `null` when the value is left out. */
export function optDecimal(value: DecimalInput | null | undefined, name: string): string | null {
  return value === undefined || value === null ? null : decimal(value, name);
}

/** True for the decimal text of zero (`"0"`, `"-0.00"`). */
export function isZero(d: Decimal): boolean {
  return /^-?0*(\.0*)?$/.test(d) && /0/.test(d);
}

/**
 * The exact sum of decimal texts (`["1.5", "-0.25"]` → `"1.25"`), without trailing zeros: the
 * engine's decimals added in BigInt units of their finest place, never through a float.
 */
export function sumDecimals(values: readonly Decimal[]): Decimal {
  const parts = values.map((v) => {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v.trim());
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) throw invalid(`not a decimal: ${describe(v)}`);
    return { negative: m[1] === "-", digits: (m[2] ?? "") || "0", fraction: m[3] ?? "" };
  });
  const places = Math.max(0, ...parts.map((p) => p.fraction.length));
  let total = 0n;
  for (const p of parts) {
    const units = BigInt(p.digits + p.fraction.padEnd(places, "0"));
    total += p.negative ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : `${typeof value} ${String(value)}`;
}

const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `value` with its plain objects' keys renamed by `f`; `within` (the objects being walked) catches a cycle. */
function rekey(value: unknown, f: (key: string) => string, within?: Set<object>): unknown {
  const plain = value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
  if (!Array.isArray(value) && !plain) return value;
  if (within?.has(value as object)) throw invalid("the value contains itself (a cycle): it cannot be sent to the engine");
  within?.add(value as object);
  const out = Array.isArray(value)
    ? value.map((v) => rekey(v, f, within))
    : Object.fromEntries(Object.entries(value as object).map(([k, v]) => [f(k), rekey(v, f, within)]));
  within?.delete(value as object);
  return out;
}

/** Parses the engine's JSON into camelCase objects. */
export function fromEngine<T>(json: string): T {
  return rekey(JSON.parse(json), toCamel) as T;
}

/** Plain objects and arrays with snake_case keys, for the engine. */
export function snake(value: unknown): unknown {
  return rekey(value, toSnake, new Set());
}

/** The engine's JSON of a camelCase value; a cyclic or too deeply nested value is `InvalidInput`. */
export function toEngine(value: unknown): string {
  try {
    return JSON.stringify(snake(value), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch (e) {
    // JSON.stringify throws TypeError on a cycle; both walks throw RangeError past the stack.
    if (e instanceof RangeError) throw invalid("the value is nested too deeply to send to the engine");
    if (e instanceof TypeError) throw invalid(`the value cannot be sent to the engine: ${e.message}`);
    throw e;
  }
}

/**
 * A non-negative integer argument (counts, ids), checked: never wrapped, truncated or clamped
 * (the addon and the WebAssembly build would turn -1 into 4294967295 and 2.7 into 2).
 */
export function count(value: unknown, name: string, minimum = 0): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalid(`\`${name}\` must be an integer, got ${describe(value)}`);
  }
  if (value < minimum || value > 2 ** 32 - 1) {
    throw invalid(`\`${name}\` must be an integer from ${minimum} to ${2 ** 32 - 1}, got ${value}`);
  }
  return value;
}

/** `count(value)`, or `null` when the value is left out. */
export function optCount(value: unknown, name: string, minimum = 0): number | null {
  return value === undefined || value === null ? null : count(value, name, minimum);
}

/** A string argument, checked (a number given to the engine's text arguments traps WebAssembly). */
export function text(value: unknown, name: string): string {
  if (typeof value !== "string") throw invalid(`\`${name}\` must be a string, got ${describe(value)}`);
  return value;
}

/** `text(value)`, or `null` when the value is left out. */
export function optText(value: unknown, name: string): string | null {
  return value === undefined || value === null ? null : text(value, name);
}

/** A boolean option, checked (`"false"` is not false). */
export function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(`\`${name}\` must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * An options object of `call`, checked: `undefined` reads as `{}`, anything but a plain object is
 * refused, and so is a key not in `valid` (a misspelt `stop_loss` or `timeinforce` would
 * otherwise be dropped silently). The message names the call and lists the valid keys, as the
 * Python package does for keywords.
 */
export function options<T extends object>(value: T | undefined | null, call: string, valid: readonly string[]): T {
  if (value === undefined || value === null) return {} as T;
  // A call is named with its parentheses; a value ("an order", "a risk profile") as it is.
  const who = /\s/.test(call) ? call : `${call}()`;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalid(`${who} takes its options as an object, got ${describe(value)}`);
  }
  const unknown = Object.keys(value).filter((k) => !valid.includes(k));
  if (unknown.length > 0) {
    const names = unknown.map((k) => `\`${k}\``).join(", ");
    throw invalid(`${who} takes no ${names}; valid ${/\s/.test(call) ? "keys" : "options"}: ${valid.join(", ")}`);
  }
  return value;
}
