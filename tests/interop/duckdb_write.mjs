// duckdb_write.mjs OUTDIR — DuckDB writes Parquet files covering many types, nulls and
// edge values under every codec (and page format v2); for each NAME.parquet it writes
// NAME.expected.jsonl: DuckDB's own reading of the file, normalised to parq's JSON rules
// (readers.mjs). duckdb_write.sh then checks `parq cat --format jsonl` against it.
import fs from 'node:fs';
import path from 'node:path';
import { duck, duckReadParquet, sqlStr } from './readers.mjs';
import { toJson } from './compare.mjs';

const out = process.argv[2];
if (!out) { console.error('usage: node duckdb_write.mjs OUTDIR'); process.exit(2); }
fs.mkdirSync(out, { recursive: true });
const con = await duck();

// ~3000 rows: enough for several pages and dictionary fallback on some columns.
// NULLs appear in every column at different periods so validity bitmaps are exercised.
const TYPES = `
SELECT
  i::INTEGER AS row_id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 11 = 0 THEN NULL ELSE ((i * 37) % 256 - 128)::TINYINT END AS i8,
  CASE WHEN i % 12 = 0 THEN NULL ELSE ((i * 7919) % 65536 - 32768)::SMALLINT END AS i16,
  CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 1000003) % 4294967296 - 2147483648)::INTEGER END AS i32,
  CASE WHEN i % 14 = 0 THEN NULL ELSE (i * 3074457345618258::BIGINT - 4611686018427387904) END AS i64,
  CASE WHEN i % 15 = 0 THEN NULL ELSE ((i * 31) % 256)::UTINYINT END AS u8,
  CASE WHEN i % 16 = 0 THEN NULL ELSE ((i * 7919) % 65536)::USMALLINT END AS u16,
  CASE WHEN i % 17 = 0 THEN NULL ELSE ((i * 1000003) % 4294967296)::UINTEGER END AS u32,
  CASE WHEN i % 18 = 0 THEN NULL ELSE (18446744073709551615::UBIGINT - (i * 6148914691236517::UBIGINT))::UBIGINT END AS u64,
  CASE WHEN i % 19 = 0 THEN NULL ELSE (i / 7.0 - 100)::FLOAT END AS f32,
  CASE WHEN i % 20 = 0 THEN NULL ELSE (i * 1.1 / 3 - 500) * pow(10, (i % 40) - 20) END AS f64,
  CASE WHEN i % 21 = 0 THEN NULL ELSE (((i * 137) % 20000000 - 10000000) / 100)::DECIMAL(9,2) END AS dec9,
  CASE WHEN i % 22 = 0 THEN NULL ELSE (i * 123456789.1234 - 99999999999.5)::DECIMAL(18,4) END AS dec18,
  CASE WHEN i % 23 = 0 THEN NULL
       ELSE ((i * 98765432109876543::HUGEINT - 12345678901234567890::HUGEINT)::DECIMAL(38,0) / 10000000000)::DECIMAL(38,10) END AS dec38,
  CASE WHEN i % 24 = 0 THEN NULL WHEN i % 13 = 0 THEN ''
       ELSE 'str_' || (i % 50) || CASE WHEN i % 5 = 0 THEN ' é—ü😀' ELSE '' END END AS s,
  CASE WHEN i % 25 = 0 THEN NULL ELSE md5(i::VARCHAR) || repeat('x', i % 40) END AS s_unique,
  CASE WHEN i % 26 = 0 THEN NULL WHEN i % 9 = 0 THEN ''::BLOB ELSE unhex(printf('%02x00ff%04x', i % 256, i)) END AS bl,
  CASE WHEN i % 27 = 0 THEN NULL ELSE DATE '1970-01-01' + ((i * 37) % 40000 - 20000)::INTEGER END AS d,
  CASE WHEN i % 28 = 0 THEN NULL ELSE TIME '00:00:00' + to_microseconds((i * 1234567891) % 86400000000) END AS t,
  CASE WHEN i % 29 = 0 THEN NULL ELSE make_timestamp(i * 987654321012 - 946684800000000) END AS ts,
  CASE WHEN i % 30 = 0 THEN NULL ELSE make_timestamp(i * 987654321012 - 946684800000000)::TIMESTAMPTZ END AS tstz,
  CASE WHEN i % 31 = 0 THEN NULL ELSE make_timestamp(i * 987654321012 - 946684800000000)::TIMESTAMP_MS END AS ts_ms,
  CASE WHEN i % 32 = 0 THEN NULL ELSE make_timestamp_ns(i * 987654321012345 - 946684800000000000) END AS ts_ns,
  CASE WHEN i % 33 = 0 THEN NULL ELSE md5(i::VARCHAR)::UUID END AS uid,
  CASE WHEN i % 9 = 0 THEN NULL
       ELSE list_transform(range(i % 6), x -> CASE WHEN (x + i) % 4 = 0 THEN NULL ELSE x * i END) END AS l_int,
  CASE WHEN i % 10 = 0 THEN NULL WHEN i % 4 = 0 THEN []::VARCHAR[]
       ELSE ['a' || i, NULL, '', 'ü' || (i % 3)] END AS l_str,
  CASE WHEN i % 8 = 0 THEN NULL
       ELSE [[i, i + 1], []::BIGINT[], NULL, [NULL::BIGINT]] END AS ll,
  CASE WHEN i % 6 = 0 THEN NULL
       ELSE {'a': CASE WHEN i % 4 = 0 THEN NULL ELSE i END, 'b': 's' || i,
             'c': {'x': i * 0.5, 'w': (i * 0.25)::DOUBLE, 'y': [i, NULL]}} END AS st,
  CASE WHEN i % 8 = 1 THEN NULL
       ELSE MAP(['k' || (i % 3), 'z' || i], [i, CASE WHEN i % 2 = 0 THEN NULL ELSE -i END]) END AS m,
  CASE WHEN i % 5 = 2 THEN NULL
       ELSE [{'p': i, 'q': 'x' || (i % 4)}, NULL, {'p': NULL, 'q': NULL}] END AS l_st
FROM range(3000) r(i)`;

// Edge values: extremes, float specials, empty and all-null values, long strings.
const EDGES = `
SELECT * FROM (VALUES
  (1, (-128)::TINYINT, (-32768)::SMALLINT, (-2147483648)::INTEGER, (-9223372036854775808)::BIGINT,
   0::UBIGINT, 'NaN'::DOUBLE, 'NaN'::FLOAT, ''::VARCHAR, []::INTEGER[], NULL::INTEGER,
   DATE '0001-01-01', TIMESTAMP '1677-09-22 00:00:00', 0.00::DECIMAL(9,2), TIME '00:00:00'),
  (2, 127::TINYINT, 32767::SMALLINT, 2147483647::INTEGER, 9223372036854775807::BIGINT,
   18446744073709551615::UBIGINT, 'Infinity'::DOUBLE, 'Infinity'::FLOAT, repeat('long text ', 20000),
   [NULL]::INTEGER[], NULL, DATE '9999-12-31', TIMESTAMP '2262-04-11 23:47:16.854775',
   9999999.99::DECIMAL(9,2), TIME '23:59:59.999999'),
  (3, 0::TINYINT, 0::SMALLINT, 0::INTEGER, 0::BIGINT, 1::UBIGINT, '-Infinity'::DOUBLE,
   '-Infinity'::FLOAT, '"quoted" \\ back\\slash' || chr(10) || 'new line' || chr(9) || 'tab' || chr(1),
   [1, 2, 3]::INTEGER[], NULL, DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00',
   -9999999.99::DECIMAL(9,2), TIME '12:00:00'),
  (4, NULL, NULL, NULL, NULL, NULL, -0.0::DOUBLE, 1.17549435e-38::FLOAT, '日本語 Ελλάδα 🚀',
   NULL, NULL, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.999999', -0.01::DECIMAL(9,2), NULL),
  (5, NULL, NULL, NULL, NULL, NULL, 5e-324::DOUBLE, 3.4028235e38::FLOAT, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL)
) v(row_id, i8, i16, i32, i64, u64, f64, f32, s, l, all_null, d, ts, dec, t)`;

const CODECS = ['zstd', 'snappy', 'gzip', 'lz4', 'uncompressed', 'brotli'];
const jobs = [];
for (const c of CODECS) jobs.push({ name: `types_${c}`, sql: TYPES, opts: `COMPRESSION ${c}` });
jobs.push({ name: 'types_v2_zstd', sql: TYPES, opts: "COMPRESSION zstd, PARQUET_VERSION V2" });
jobs.push({ name: 'types_small_row_groups', sql: TYPES, opts: 'COMPRESSION snappy, ROW_GROUP_SIZE 500' });
jobs.push({ name: 'edges_zstd', sql: EDGES, opts: 'COMPRESSION zstd' });
jobs.push({ name: 'edges_v2_uncompressed', sql: EDGES, opts: 'COMPRESSION uncompressed, PARQUET_VERSION V2' });

let written = 0;
for (const j of jobs) {
  const file = path.join(out, `${j.name}.parquet`);
  try {
    await con.run(`COPY (${j.sql} ORDER BY row_id) TO ${sqlStr(file)} (FORMAT parquet, ${j.opts})`);
  } catch (e) {
    // An option this DuckDB build lacks (e.g. PARQUET_VERSION) must not hide the others.
    console.error(`duckdb_write: ${j.name}: ${e.message.split('\n')[0]}`);
    continue;
  }
  const rows = await duckReadParquet(file);
  fs.writeFileSync(path.join(out, `${j.name}.expected.jsonl`), rows.map((r) => toJson(r) + '\n').join(''));
  written++;
}
console.log(`duckdb_write: wrote ${written} of ${jobs.length} files to ${out}`);
process.exit(written === jobs.length ? 0 : 1);
