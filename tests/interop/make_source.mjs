// make_source.mjs OUTDIR — JSON Lines sources for the parq-writes tests (parq_write.sh):
//   inferred.jsonl         types parq infers: ints (incl. 64-bit extremes), floats, strings,
//                          bools, nested objects, arrays, arrays of objects, nulls everywhere;
//   typed.jsonl + typed.schema.json   values for `--schema`: small ints, unsigned, float,
//                          decimals, date, time, timestamps (local/UTC, ms/us/ns), uuid.
// Every row carries every key (null when absent) and values are already in parq's JSON
// form, so each source file is also the expected output.
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
if (!out) { console.error('usage: node make_source.mjs OUTDIR'); process.exit(2); }
fs.mkdirSync(out, { recursive: true });
const N = 1500;
const lines = (f) => Array.from({ length: N }, (_, i) => f(i)).join('\n') + '\n';
const pad = (n, w = 2) => String(n).padStart(w, '0');
const nul = (i, p, v) => (i % p === p - 1 ? 'null' : v);

fs.writeFileSync(path.join(out, 'inferred.jsonl'), lines((i) => {
  const big = i % 50 === 3 ? '9223372036854775807' : i % 50 === 4 ? '-9223372036854775808'
    : String(BigInt(i) * 6148914691236517n - 4611686018427387904n);
  const f = i % 40 === 5 ? '-0.0' : String((i * 1.1 / 3 - 250) * 10 ** ((i % 30) - 15));
  const words = ['alpha', 'beta', 'gamma', 'delta', 'café', 'naïve', '日本', '😀', 'x"y', 'a\\b'];
  const s = i % 17 === 0 ? '' : `${words[i % words.length]} ${i % 100}`;
  return '{' + [
    `"id":${i}`,
    `"big":${nul(i, 7, big)}`,
    `"f":${nul(i, 8, f)}`,
    `"flag":${nul(i, 9, i % 3 === 0 ? 'true' : 'false')}`,
    `"s":${nul(i, 10, JSON.stringify(s))}`,
    `"cat":${nul(i, 11, JSON.stringify(['red', 'green', 'blue'][i % 3]))}`,
    `"tags":${nul(i, 12, JSON.stringify(Array.from({ length: i % 4 }, (_, k) => `t${(i + k) % 9}`)))}`,
    `"nums":${nul(i, 13, '[' + Array.from({ length: i % 5 }, (_, k) => ((i + k) % 6 === 0 ? 'null' : String(i * k))).join(',') + ']')}`,
    `"obj":${nul(i, 14, `{"a":${nul(i, 3, String(i))},"b":${JSON.stringify('b' + i)},"inner":{"x":${i * 0.25 + 0.125},"y":[${i},${i + 1}]}}`)}`,
    `"recs":${nul(i, 15, `[{"k":"k${i % 5}","v":${i}},{"k":${i % 2 ? 'null' : '"z"'},"v":${nul(i, 4, String(-i))}}]`)}`,
    `"nested":${nul(i, 16, `[[${i}],[],[${i},${i * 2}]]`)}`,
    `"all_null":null`,
  ].join(',') + '}';
}));

const schema = { fields: [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'i8', type: 'int8' }, { name: 'i16', type: 'int16' }, { name: 'i32', type: 'int32' },
  { name: 'u8', type: 'uint8' }, { name: 'u32', type: 'uint32' }, { name: 'u64', type: 'uint64' },
  { name: 'f32', type: 'float' }, { name: 'f64', type: 'double' },
  { name: 'dec9', type: 'decimal(9,2)' }, { name: 'dec38', type: 'decimal(38,10)' },
  { name: 'd', type: 'date' }, { name: 't', type: 'time_us' },
  { name: 'ts', type: 'timestamp_us' }, { name: 'ts_utc', type: 'timestamp_us_utc' },
  { name: 'ts_ms', type: 'timestamp_ms' }, { name: 'ts_ns', type: 'timestamp_ns' },
  { name: 'uid', type: 'uuid' }, { name: 's', type: 'string' },
  { name: 'l', type: { list: 'int32' } },
  { name: 'st', type: { struct: [{ name: 'n', type: 'int16' }, { name: 'when', type: 'date' }] } },
] };
fs.writeFileSync(path.join(out, 'typed.schema.json'), JSON.stringify(schema, null, 1) + '\n');
const dateOf = (days) => new Date(days * 86400000).toISOString().slice(0, 10);
fs.writeFileSync(path.join(out, 'typed.jsonl'), lines((i) => {
  const days = ((i * 37) % 40000) - 20000;
  const us = BigInt(i) * 987654321012n - 946684800000000n;
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const tsStr = (ticks, digits, z) => {
    const per = 10n ** BigInt(digits), day = 86400n * per;
    let d = ticks / day, r = ticks % day;
    if (r < 0n) { r += day; d -= 1n; }
    const sec = r / per, frac = r % per;
    return `${dateOf(Number(d))}T${pad(sec / 3600n)}:${pad((sec / 60n) % 60n)}:${pad(sec % 60n)}` +
      `.${String(frac).padStart(digits, '0')}${z ? 'Z' : ''}`;
  };
  const tus = BigInt((i * 1234567891) % 86400000000);
  const tsec = tus / 1000000n;
  const cents = BigInt(((i * 137) % 20000000) - 10000000);
  const dec9 = `${cents < 0n ? '-' : ''}${(cents < 0n ? -cents : cents) / 100n}.${pad((cents < 0n ? -cents : cents) % 100n)}`;
  const hex = (BigInt(i) * 0x9e3779b97f4a7c15n + 0x1234n).toString(16).padStart(32, '0').slice(-32);
  return '{' + [
    `"id":${i}`,
    `"i8":${nul(i, 7, String(((i * 37) % 256) - 128))}`,
    `"i16":${nul(i, 8, String(((i * 7919) % 65536) - 32768))}`,
    `"i32":${nul(i, 9, String(((i * 1000003) % 4294967296) - 2147483648))}`,
    `"u8":${nul(i, 10, String((i * 31) % 256))}`,
    `"u32":${nul(i, 11, String((i * 1000003) % 4294967296))}`,
    `"u64":${nul(i, 12, String(18446744073709551615n - BigInt(i) * 6148914691236517n))}`,
    `"f32":${nul(i, 13, String(Math.fround(i / 7 - 100)))}`,
    `"f64":${nul(i, 14, String(i * 1.1 / 3 - 500))}`,
    `"dec9":${nul(i, 15, dec9)}`,
    `"dec38":${nul(i, 16, `${i % 2 ? '-' : ''}${BigInt(i) * 98765432109876543n}.${String(i * 7).padStart(10, '0')}`)}`,
    `"d":${nul(i, 17, JSON.stringify(dateOf(days)))}`,
    `"t":${nul(i, 18, JSON.stringify(`${pad(tsec / 3600n)}:${pad((tsec / 60n) % 60n)}:${pad(tsec % 60n)}.${String(tus % 1000000n).padStart(6, '0')}`))}`,
    `"ts":${nul(i, 19, JSON.stringify(tsStr(us, 6, false)))}`,
    `"ts_utc":${nul(i, 20, JSON.stringify(tsStr(us, 6, true)))}`,
    `"ts_ms":${nul(i, 21, JSON.stringify(tsStr(ms, 3, false)))}`,
    `"ts_ns":${nul(i, 22, JSON.stringify(tsStr(us * 1000n + BigInt(i % 1000), 9, false)))}`,
    `"uid":${nul(i, 23, JSON.stringify(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`))}`,
    `"s":${nul(i, 24, JSON.stringify(i % 13 === 0 ? '' : `v${i % 37}`))}`,
    `"l":${nul(i, 25, `[${Array.from({ length: i % 4 }, (_, k) => ((k + i) % 3 === 0 ? 'null' : String(k * i))).join(',')}]`)}`,
    `"st":${nul(i, 26, `{"n":${nul(i, 5, String((i % 60000) - 30000))},"when":${nul(i, 6, JSON.stringify(dateOf(days)))}}`)}`,
  ].join(',') + '}';
}));
console.log(`make_source: wrote inferred.jsonl, typed.jsonl, typed.schema.json to ${out}`);
