// compare.mjs — the one place that decides whether two JSON Lines rows hold the same values.
//
// Library: parseJson(text) keeps every number as its exact token (class Num), so 64-bit
// integers and DECIMAL(38,x) values survive; compareRows(expected, actual) lists the
// differences; toJson(value) writes values built with Num / raw tokens back out.
// CLI:     node compare.mjs EXPECTED.jsonl ACTUAL.jsonl   (exit 0 same, 1 different)
//
// Equality rules (values, not formatting, are what the interop tests check):
//  - numbers: equal tokens; else both integers -> exact BigInt compare; else a token with
//    more than 17 significant digits (cannot be a double) -> exact decimal compare; else
//    doubles within 1e-12 relative, or the same value once rounded to float32 when one
//    side is exactly a float32 (FLOAT columns printed at float or double precision);
//  - "NaN"/"Infinity"/"-Infinity" strings stand for the float specials;
//  - temporal strings (dates, times, timestamps) compare after trailing fraction zeros
//    are dropped, so "03:04:05.500000" == "03:04:05.5" (the unit sets the digit count);
//  - objects: same keys in the same order; arrays: same length; null only equals null.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export class Num {
  constructor(tok) { this.tok = tok; }
  toString() { return this.tok; }
}

// ---- Parser (strict JSON; numbers kept as tokens) ----
export function parseJson(text) {
  let i = 0;
  const fail = (msg) => { throw new Error(`JSON: ${msg} at offset ${i}`); };
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws(); if (text[i] !== '"') fail('expected key');
        const k = str(); ws(); if (text[i++] !== ':') fail('expected :');
        if (Object.prototype.hasOwnProperty.call(o, k)) fail(`duplicate key ${k}`);
        o[k] = value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value()); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new Num(m[0]);
  }
  function str() {
    i++; // opening quote
    let out = '';
    for (;;) {
      const j = text.indexOf('"', i);
      const k = text.indexOf('\\', i);
      if (j < 0) fail('unterminated string');
      const end = k < 0 || j < k ? j : k;
      if (/[\x00-\x1f]/.test(text.slice(i, end))) fail('raw control character in string');
      if (end === j) { out += text.slice(i, j); i = j + 1; break; }
      out += text.slice(i, k); i = k + 1;
      const e = text[i++];
      const map = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in map) out += map[e];
      else if (e === 'u') {
        const h = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(h, 16)); i += 4;
      } else fail('bad escape');
    }
    return out;
  }
  const v = value(); ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

export function readJsonl(path) {
  const text = fs.readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, n) => {
    try { return parseJson(l); } catch (e) { throw new Error(`${path}:${n + 1}: ${e.message}`); }
  });
}

// ---- Serializer (Num and bigint written as raw number tokens) ----
export function toJson(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Num) return v.tok;
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
    case 'number':
      if (Number.isNaN(v)) return '"NaN"';
      if (v === Infinity) return '"Infinity"';
      if (v === -Infinity) return '"-Infinity"';
      return Object.is(v, -0) ? '-0.0' : String(v);
    case 'string': return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map(toJson).join(',') + ']';
  return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ':' + toJson(x)).join(',') + '}';
}

// ---- Comparison ----
const INT_RE = /^-?\d+$/;
const TEMPORAL_RE = /^(\d{4,}-\d\d-\d\d)?([T ]?\d\d:\d\d:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?$/;

function sigDigits(tok) {
  const mant = tok.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '');
  return mant.replace(/0+$/, '').length;
}
// Exact decimal value as [BigInt mantissa, scale] (for tokens without an exponent).
function toDecimal(tok) {
  if (/[eE]/.test(tok)) return null;
  const [ip, fp = ''] = tok.split('.');
  const f = fp.replace(/0+$/, '');
  return [BigInt(ip.replace('-', '') + f) * (tok.startsWith('-') ? -1n : 1n), f.length];
}
function decEqual(a, b) {
  const da = toDecimal(a), db = toDecimal(b);
  if (!da || !db) return false;
  const s = Math.max(da[1], db[1]);
  return da[0] * 10n ** BigInt(s - da[1]) === db[0] * 10n ** BigInt(s - db[1]);
}
function numEqual(a, b) {
  if (a === b) return true;
  if (INT_RE.test(a) && INT_RE.test(b)) return BigInt(a) === BigInt(b);
  if (sigDigits(a) > 17 || sigDigits(b) > 17) return decEqual(a, b);
  const x = Number(a), y = Number(b);
  if (x === y) return true;
  if (Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y))) return true;
  const fx = Math.fround(x), fy = Math.fround(y);
  return fx === fy && (fx === x || fy === y);
}
function normTemporal(s) {
  if (s.length < 8 || !TEMPORAL_RE.test(s) || !/\d\d:\d\d|\d-\d\d-/.test(s)) return s;
  return s.replace(/\.(\d*?)0+(?=$|Z|[+-])/, (m, d) => (d ? '.' + d : ''));
}
const SPECIAL = new Set(['NaN', 'Infinity', '-Infinity']);
const show = (v) => { const t = toJson(v); return t.length > 120 ? t.slice(0, 117) + '...' : t; };

// Appends "path: expected X, got Y" strings to diffs (stops after `limit`).
// Values straight from a reader (JS numbers, bigints) take their JSON form first.
function canon(v) {
  if (typeof v === 'bigint') return new Num(v.toString());
  if (typeof v === 'number') return Number.isFinite(v) ? new Num(Object.is(v, -0) ? '-0.0' : String(v)) : toJson(v).slice(1, -1);
  return v === undefined ? null : v;
}
export function compareValues(e, a, path, diffs, limit = 20) {
  if (diffs.length >= limit) return;
  e = canon(e);
  a = canon(a);
  const d = (msg) => diffs.push(`${path || '<row>'}: ${msg}`);
  if (e === null || a === null) {
    if (e !== a) d(`expected ${show(e)}, got ${show(a)}`);
    return;
  }
  if (e instanceof Num && a instanceof Num) {
    if (!numEqual(e.tok, a.tok)) d(`expected ${e.tok}, got ${a.tok}`);
    return;
  }
  if (typeof e === 'string' && typeof a === 'string') {
    if (e !== a && normTemporal(e) !== normTemporal(a)) d(`expected ${show(e)}, got ${show(a)}`);
    return;
  }
  if ((typeof e === 'string' && SPECIAL.has(e)) || (typeof a === 'string' && SPECIAL.has(a))) {
    d(`expected ${show(e)}, got ${show(a)}`);
    return;
  }
  if (Array.isArray(e) && Array.isArray(a)) {
    if (e.length !== a.length) { d(`expected ${e.length} elements, got ${a.length}: ${show(a)}`); return; }
    for (let i = 0; i < e.length; i++) compareValues(e[i], a[i], `${path}[${i}]`, diffs, limit);
    return;
  }
  if (typeof e === 'object' && typeof a === 'object' && !Array.isArray(e) && !Array.isArray(a) &&
      !(e instanceof Num) && !(a instanceof Num)) {
    const ek = Object.keys(e), ak = Object.keys(a);
    if (ek.join('\u0000') !== ak.join('\u0000')) {
      d(`expected keys [${ek}], got [${ak}]`);
      return;
    }
    for (const k of ek) compareValues(e[k], a[k], path ? `${path}.${k}` : k, diffs, limit);
    return;
  }
  if (e !== a) d(`expected ${show(e)}, got ${show(a)}`);
}

// Compares two row lists; returns difference strings prefixed with the 1-based row number.
export function compareRows(expected, actual, limit = 20) {
  const diffs = [];
  if (expected.length !== actual.length) diffs.push(`expected ${expected.length} rows, got ${actual.length}`);
  const n = Math.min(expected.length, actual.length);
  for (let r = 0; r < n && diffs.length < limit; r++) {
    const rd = [];
    compareValues(expected[r], actual[r], '', rd, limit - diffs.length);
    for (const x of rd) diffs.push(`row ${r + 1}: ${x}`);
  }
  return diffs;
}

// ---- CLI ----
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [expPath, actPath] = process.argv.slice(2);
  if (!expPath || !actPath) {
    console.error('usage: node compare.mjs EXPECTED.jsonl ACTUAL.jsonl');
    process.exit(2);
  }
  let diffs;
  try {
    diffs = compareRows(readJsonl(expPath), readJsonl(actPath));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  for (const x of diffs) console.error('  ' + x);
  process.exit(diffs.length ? 1 : 0);
}
