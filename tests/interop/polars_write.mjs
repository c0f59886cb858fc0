// polars_write.mjs OUTDIR — Polars writes Parquet files (ints, unsigned, floats with NaN and
// infinities, strings, categoricals, dates, datetimes in ms/us/ns and UTC, times, lists,
// structs, NULLs) under every codec; NAME.expected.jsonl holds the source values in parq's
// JSON rules, computed here from the data (nodejs-polars cannot hand every type back to JS).
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';
import { Num, toJson } from './compare.mjs';
import { dateFromDays, timeFromTicks, timestampFromTicks } from './readers.mjs';

const out = process.argv[2];
if (!out) { console.error('usage: node polars_write.mjs OUTDIR'); process.exit(2); }
fs.mkdirSync(out, { recursive: true });

const N = 2000;
const col = (period, f) => Array.from({ length: N }, (_, i) => (i % period === 0 ? null : f(i)));
const data = {
  i8: col(11, (i) => ((i * 37) % 256) - 128),
  i16: col(12, (i) => ((i * 7919) % 65536) - 32768),
  i32: col(13, (i) => ((i * 1000003) % 4294967296) - 2147483648),
  i64: col(14, (i) => i * 3002399751580 - 3000000000000000), // within 2^53: JS numbers stay exact
  u8: col(15, (i) => (i * 31) % 256),
  u16: col(16, (i) => (i * 7919) % 65536),
  u32: col(17, (i) => (i * 1000003) % 4294967296),
  u64: col(18, (i) => 18446744073709551615n - BigInt(i) * 6148914691236517n),
  f32: col(19, (i) => (i % 97 === 1 ? NaN : i % 97 === 2 ? -Infinity : Math.fround(i / 7 - 100))),
  f64: col(20, (i) => (i % 89 === 1 ? NaN : i % 89 === 2 ? Infinity : (i * 1.1 / 3 - 500) * 10 ** ((i % 40) - 20))),
  b: col(7, (i) => i % 3 === 0),
  s: col(21, (i) => (i % 13 === 0 ? '' : `str_${i % 50}${i % 5 === 0 ? ' é—ü😀 "q" \\' : ''}`)),
  cat: col(22, (i) => ['red', 'green', 'blue', 'ünïcode'][i % 4]),
  date: col(23, (i) => ((i * 37) % 40000) - 20000),
  ts_us: col(24, (i) => i * 987654321012 - 946684800000000),
  time_ns: col(25, (i) => ((i * 1234567891) % 86400000000) * 1000),
  l_int: col(9, (i) => Array.from({ length: i % 6 }, (_, x) => ((x + i) % 4 === 0 ? null : x * i))),
  l_str: col(10, (i) => (i % 4 === 0 ? [] : [`a${i}`, null, '', `ü${i % 3}`])),
};
// Structs: nodejs-polars cannot build a struct Series with NULL rows, so only fields are
// null; it infers field types from the first row, which therefore has no nulls.
const structs = Array.from({ length: N }, (_, i) => ({ a: i % 4 === 1 ? null : i, b: `s${i}`, c: i * 0.5 + 0.25 }));

function frame() {
  const S = (name, dt) => pl.Series(name, data[name], dt);
  return pl.DataFrame([
    S('i8', pl.Int8), S('i16', pl.Int16), S('i32', pl.Int32), S('i64', pl.Int64),
    S('u8', pl.UInt8), S('u16', pl.UInt16), S('u32', pl.UInt32), S('u64', pl.UInt64),
    pl.Series('f32', data.f32, pl.Float64).cast(pl.Float32), S('f64', pl.Float64),
    S('b', pl.Bool), S('s', pl.Utf8), pl.Series('cat', data.cat, pl.Utf8).cast(pl.Categorical),
    pl.Series('date', data.date, pl.Int32).cast(pl.Date),
    pl.Series('ts_ms', data.ts_us.map((v) => (v === null ? null : Math.floor(v / 1000))), pl.Int64).cast(pl.Datetime('ms')),
    pl.Series('ts_us', data.ts_us, pl.Int64).cast(pl.Datetime('us')),
    pl.Series('ts_ns', data.ts_us, pl.Int64).cast(pl.Datetime('us')).cast(pl.Datetime('ns')),
    pl.Series('ts_utc', data.ts_us, pl.Int64).cast(pl.Datetime('us', 'UTC')),
    pl.Series('time_ns', data.time_ns, pl.Int64).cast(pl.Time),
    S('l_int', pl.List(pl.Int32)), S('l_str', pl.List(pl.Utf8)),
    pl.Series('st', structs),
  ]);
}

// Expected JSON per row (parq's rules), from the source values.
const num = (v) => (v === null ? null : typeof v === 'number' && !Number.isFinite(v) ? v : new Num(String(v)));
function expectedRow(i) {
  const g = (k) => data[k][i];
  const ts = g('ts_us');
  const st = structs[i];
  return {
    i8: num(g('i8')), i16: num(g('i16')), i32: num(g('i32')), i64: num(g('i64')),
    u8: num(g('u8')), u16: num(g('u16')), u32: num(g('u32')), u64: num(g('u64')),
    f32: num(g('f32')), f64: num(g('f64')), b: g('b'), s: g('s'), cat: g('cat'),
    date: g('date') === null ? null : dateFromDays(g('date')),
    ts_ms: ts === null ? null : timestampFromTicks(BigInt(Math.floor(ts / 1000)), 3, false),
    ts_us: ts === null ? null : timestampFromTicks(BigInt(ts), 6, false),
    ts_ns: ts === null ? null : timestampFromTicks(BigInt(ts) * 1000n, 9, false),
    ts_utc: ts === null ? null : timestampFromTicks(BigInt(ts), 6, true),
    time_ns: g('time_ns') === null ? null : timeFromTicks(BigInt(g('time_ns')), 9),
    l_int: g('l_int') === null ? null : g('l_int').map(num),
    l_str: g('l_str'),
    st: { a: num(st.a), b: st.b, c: num(st.c) },
  };
}

const df = frame();
const expected = Array.from({ length: N }, (_, i) => toJson(expectedRow(i)) + '\n').join('');
let written = 0;
const codecs = ['uncompressed', 'snappy', 'gzip', 'lz4', 'zstd', 'brotli'];
for (const c of codecs) {
  const name = `polars_${c}`;
  try {
    df.writeParquet(path.join(out, `${name}.parquet`), { compression: c });
  } catch (e) {
    console.error(`polars_write: ${name}: ${e.message.split('\n')[0]}`);
    continue;
  }
  fs.writeFileSync(path.join(out, `${name}.expected.jsonl`), expected);
  written++;
}
console.log(`polars_write: wrote ${written} of ${codecs.length} files to ${out}`);
process.exit(written === codecs.length ? 0 : 1);
