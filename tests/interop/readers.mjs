// readers.mjs — read a Parquet file with DuckDB or Polars and turn every row into the
// JSON value parq's `cat --format jsonl` must print for it (the rules above
// pq_jsonl_write_batch in src/io/io.h): exact integers and decimals (Num tokens),
// NaN/Infinity as strings, binary as base64, DATE "YYYY-MM-DD", TIME "HH:MM:SS.ffffff",
// TIMESTAMP "YYYY-MM-DDTHH:MM:SS.ffffff" + "Z" when UTC-adjusted, UUID canonical,
// lists as arrays, structs as objects, maps as [{"key":..,"value":..}].
import { DuckDBInstance } from '@duckdb/node-api';
import { Num } from './compare.mjs';

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian; JS Date covers +-275k years).
export function dateFromDays(days) {
  const d = new Date(Number(days) * 86400000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
// Ticks of 10^-digits seconds since midnight -> "HH:MM:SS.fff..."
export function timeFromTicks(ticks, digits) {
  const per = 10n ** BigInt(digits);
  const t = BigInt(ticks);
  const secs = t / per, frac = t % per;
  const s = `${pad(secs / 3600n)}:${pad((secs / 60n) % 60n)}:${pad(secs % 60n)}`;
  return digits ? `${s}.${String(frac).padStart(digits, '0')}` : s;
}
// Ticks since the epoch -> "YYYY-MM-DDTHH:MM:SS.fff..." (+ "Z" when utc).
export function timestampFromTicks(ticks, digits, utc) {
  const per = 10n ** BigInt(digits);
  let t = BigInt(ticks);
  let days = t / (86400n * per);
  let rem = t % (86400n * per);
  if (rem < 0n) { rem += 86400n * per; days -= 1n; }
  return `${dateFromDays(days)}T${timeFromTicks(rem, digits)}${utc ? 'Z' : ''}`;
}
export function decimalToken(value, scale) {
  const neg = value < 0n;
  let s = (neg ? -value : value).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
  }
  return new Num((neg ? '-' : '') + s);
}
const floatVal = (x) => (Number.isFinite(x) ? new Num(numberToken(x)) : x); // NaN etc. stay numbers
function numberToken(x) {
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

// ---- DuckDB ----
// Normalises one value from DuckDB's node API (getRowObjects) by its runtime class.
export function duckValue(v) {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean': return v;
    case 'bigint': return new Num(v.toString());
    case 'number': return Number.isFinite(v) ? new Num(numberToken(v)) : v;
    case 'string': return v;
  }
  const cls = v.constructor && v.constructor.name;
  switch (cls) {
    case 'DuckDBDecimalValue': return decimalToken(v.value, v.scale);
    case 'DuckDBDateValue': return dateFromDays(v.days);
    case 'DuckDBTimeValue': return timeFromTicks(v.micros, 6);
    case 'DuckDBTimeNSValue': return timeFromTicks(v.nanos, 9);
    case 'DuckDBTimestampValue': return timestampFromTicks(v.micros, 6, false);
    case 'DuckDBTimestampTZValue': return timestampFromTicks(v.micros, 6, true);
    case 'DuckDBTimestampMillisecondsValue': return timestampFromTicks(v.millis, 3, false);
    case 'DuckDBTimestampNanosecondsValue': return timestampFromTicks(v.nanos, 9, false);
    case 'DuckDBTimestampSecondsValue': return timestampFromTicks(v.seconds, 0, false);
    case 'DuckDBBlobValue': return Buffer.from(v.bytes).toString('base64');
    case 'DuckDBUUIDValue': return v.toString();
    case 'DuckDBListValue':
    case 'DuckDBArrayValue': return v.items.map(duckValue);
    case 'DuckDBStructValue': {
      const o = {};
      for (const [k, x] of Object.entries(v.entries)) o[k] = duckValue(x);
      return o;
    }
    case 'DuckDBMapValue': return v.entries.map((e) => ({ key: duckValue(e.key), value: duckValue(e.value) }));
    case 'DuckDBHugeIntValue':
    case 'DuckDBUHugeIntValue': return new Num(v.toString());
  }
  throw new Error(`duckValue: unsupported DuckDB value class ${cls}`);
}

let duckCon = null;
export async function duck() {
  if (!duckCon) duckCon = await (await DuckDBInstance.create(':memory:')).connect();
  return duckCon;
}
export const sqlStr = (s) => `'${String(s).replace(/'/g, "''")}'`;

// All rows of a Parquet file as DuckDB reads it, normalised (file order).
export async function duckReadParquet(path) {
  const con = await duck();
  const r = await con.runAndReadAll(`SELECT * FROM read_parquet(${sqlStr(path)})`);
  return r.getRowObjects().map((row) => {
    const o = {};
    for (const [k, v] of Object.entries(row)) o[k] = duckValue(v);
    return o;
  });
}

// ---- Polars ----
// nodejs-polars cannot hand some types to JS (Decimal, Binary) and returns temporals as
// JS Dates (millisecond precision), so columns are first cast to strings/ints in Polars.
// Returns { rows, skipped: [column names Polars could not represent] }.
export async function polarsReadParquet(path) {
  const pl = (await import('nodejs-polars')).default;
  const df = pl.readParquet(path);
  const exprs = [], kinds = [], skipped = [];
  for (const name of df.columns) {
    let dt;
    try { dt = String(df.getColumn(name).dtype); } catch { skipped.push(name); continue; }
    const c = pl.col(name);
    let m;
    if ((m = /^DataType\(Datetime\((ms|us|ns),(.*)\)\)$/.exec(dt))) {
            // strftime, not an Int64 cast: ns ticks exceed 2^53 and would lose precision in JS.
      exprs.push(c.dt.strftime('%Y-%m-%dT%H:%M:%S%.f'));
      kinds.push({ name, kind: 'ts', utc: m[2] !== '' });
    } else if (dt === 'DataType(Date)') {
      exprs.push(c.cast(pl.Int32)); kinds.push({ name, kind: 'date' });
    } else if (dt === 'DataType(Time)') {
      exprs.push(c.cast(pl.Int64)); kinds.push({ name, kind: 'time' });
    } else if (dt === 'DataType(Int64)' || dt === 'DataType(UInt64)') {
      // Through a string: JS numbers would round values beyond 2^53.
      exprs.push(c.cast(pl.Utf8)); kinds.push({ name, kind: 'dec' });
    } else if (/^DataType\(Decimal/.test(dt)) {
      exprs.push(c.cast(pl.Utf8)); kinds.push({ name, kind: 'dec' });
    } else if (/Binary|Decimal|Datetime|Date|Time|Object|Unknown/.test(dt)) {
      skipped.push(name); // nested temporals/binary: not representable through the JS API
    } else {
      exprs.push(c); kinds.push({ name, kind: 'plain' });
    }
  }
  const rows = exprs.length ? df.select(...exprs).toRecords() : df.toRecords().map(() => ({}));
  const norm = (v) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return floatVal(v);
    if (typeof v === 'bigint') return new Num(v.toString());
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return v.map(norm);
    if (v instanceof Date) throw new Error('unexpected Date from Polars');
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = norm(x);
    return o;
  };
  const out = rows.map((r) => {
    const o = {};
    for (const { name, kind, utc } of kinds) {
      const v = r[name];
      if (v === null || v === undefined) { o[name] = null; continue; }
      if (kind === 'ts') o[name] = v + (utc ? 'Z' : '');
      else if (kind === 'date') o[name] = dateFromDays(v);
      else if (kind === 'time') o[name] = timeFromTicks(BigInt(v), 9);
      else if (kind === 'dec') o[name] = new Num(v);
      else o[name] = norm(v);
    }
    return o;
  });
  return { rows: out, skipped };
}
