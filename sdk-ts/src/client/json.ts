/**
 * A JSON reader that keeps the digits of numbers: `JSON.parse` turns `0.1` into a float before a
 * reviver sees it, so the client parses answers here, where a number stays its source text until
 * the schema says what it is (a decimal string for money, a JS number otherwise).
 */

/** A JSON number as its source text. */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** What {@link parseJson} returns: JSON values with every number a {@link RawNumber}. */
export type RawJson = null | boolean | string | RawNumber | RawJson[] | { [key: string]: RawJson };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

/** Parses JSON text, numbers kept as {@link RawNumber}; throws a `SyntaxError` on bad input. */
export function parseJson(text: string): RawJson {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at offset ${i}`);
  };
  const space = (): void => {
    SPACE.lastIndex = i;
    SPACE.exec(text);
    i = SPACE.lastIndex;
  };
  const value = (): RawJson => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: { [key: string]: RawJson } = {};
      space();
      if (text[i] === "}") return i++, out;
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        const key = str();
        space();
        if (text[i++] !== ":") fail();
        out[key] = value();
        space();
        const d = text[i++];
        if (d === "}") return out;
        if (d !== ",") fail();
      }
    }
    if (c === "[") {
      i++;
      const out: RawJson[] = [];
      space();
      if (text[i] === "]") return i++, out;
      for (;;) {
        out.push(value());
        space();
        const d = text[i++];
        if (d === "]") return out;
        if (d !== ",") fail();
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) return (i += 4), true;
    if (text.startsWith("false", i)) return (i += 5), false;
    if (text.startsWith("null", i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail();
    i = NUMBER.lastIndex;
    return new RawNumber(m[0]);
  };
  const str = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (m === null) return fail();
    i = STRING.lastIndex;
    return JSON.parse(m[0]) as string;
  };
  const out = value();
  space();
  if (i !== text.length) fail();
  return out;
}

/** A number's text as a plain decimal string (`1e2` → `"100"`), exactly. */
export function decimalText(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null || m[4] === undefined) return text;
  const sign = m[1] ?? "";
  let digits = (m[2] ?? "") + (m[3] ?? "");
  let point = (m[2] ?? "").length + Number(m[4]);
  if (point <= 0) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  }
  if (point >= digits.length) digits += "0".repeat(point - digits.length);
  const int = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const frac = digits.slice(point);
  return sign + int + (frac ? "." + frac : "");
}
