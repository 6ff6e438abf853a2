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

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : `${typeof value} ${String(value)}`;
}

const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function rekey(value: unknown, f: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rekey(v, f));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[f(k)] = rekey(v, f);
    return out;
  }
  return value;
}

/** Parses the engine's JSON into camelCase objects. */
export function fromEngine<T>(json: string): T {
  return rekey(JSON.parse(json), toCamel) as T;
}

/** Plain objects and arrays with snake_case keys, for the engine. */
export function snake(value: unknown): unknown {
  return rekey(value, toSnake);
}

/** The engine's JSON of a camelCase value. */
export function toEngine(value: unknown): string {
  return JSON.stringify(snake(value), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A non-negative integer argument (counts, ids), checked. */
export function count(value: unknown, name: string, minimum = 0): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum || value > 2 ** 32 - 1) {
    throw invalid(`\`${name}\` must be an integer from ${minimum} to ${2 ** 32 - 1}, got ${describe(value)}`);
  }
  return value;
}
