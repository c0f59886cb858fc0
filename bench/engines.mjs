// engines.mjs — the non-parq side of bench/run.sh: DuckDB and Polars conversions and scans,
// and extracting the raw text column for the zstd baseline. Every command prints one JSON
// object on stdout whose "seconds" is measured in-process around the work only (node and
// module start-up excluded, which favours the other engines slightly; run.sh measures peak
// RSS of the whole process with /usr/bin/time).
//
//   node bench/engines.mjs duck-convert IN.jsonl OUT.parquet THREADS
//   node bench/engines.mjs duck-scan 'FILE_OR_GLOB' THREADS all|text
//   node bench/engines.mjs polars-convert IN.jsonl OUT.parquet
//   node bench/engines.mjs extract-text IN.jsonl OUT.txt
//
// Modules come from tests/interop/node_modules (scripts/test-setup.sh installs them).
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Resolve packages from the interop tests' install rather than a bench-local copy.
const req = createRequire(path.join(here, '..', 'tests', 'interop', 'package.json'));
const sqlStr = (s) => `'${String(s).replace(/'/g, "''")}'`;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function duckCon(threads) {
  const { DuckDBInstance } = await import(req.resolve('@duckdb/node-api'));
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await db.connect();
  await con.run(`SET threads=${Number(threads)}`);
  return con;
}

async function duckConvert(inp, dst, threads) {
  const con = await duckCon(threads);
  const t0 = now();
  await con.run(`COPY (SELECT * FROM read_json_auto(${sqlStr(inp)})) TO ${sqlStr(dst)} ` +
    '(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 1024)');
  out({ engine: 'duckdb', threads: Number(threads), seconds: now() - t0 });
}

// Every column decoded: byte lengths of strings, sums of numbers, hashes of anything else
// (dates, booleans). `what` = 'text' scans only the text column.
async function duckScan(src, threads, what) {
  const con = await duckCon(threads);
  const rel = `read_parquet(${sqlStr(src)})`;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${rel}`)).getRowObjects();
  const exprs = [];
  for (const { column_name: name, column_type: type } of desc) {
    if (what === 'text' && name !== 'text') continue;
    const c = `"${name.replace(/"/g, '""')}"`;
    if (/^(VARCHAR|BLOB)$/.test(type)) exprs.push(`sum(strlen(${c}::VARCHAR))`);
    else if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL.*)$/.test(type)) exprs.push(`sum(${c})`);
    else exprs.push(`sum(hash(${c}))`);
  }
  exprs.push('count(*)');
  const sql = `SELECT ${exprs.join(', ')} FROM ${rel}`;
  const t0 = now();
  const r = await con.runAndReadAll(sql);
  const secs = now() - t0;
  const row = r.getRows()[0].map((v) => String(v));
  out({ engine: 'duckdb', threads: Number(threads), what, columns: exprs.length - 1,
        rows: row[row.length - 1], seconds: secs });
}

async function polarsConvert(inp, dst) {
  const pl = (await import(req.resolve('nodejs-polars'))).default;
  const opts = { compression: 'zstd', compressionLevel: 3, rowGroupSize: 1024, statistics: true };
  const t0 = now();
  let mode = 'scanJson+sinkParquet';
  try {
    // Streaming engine: the lowest-memory path Polars offers.
    await Promise.resolve(pl.scanJson(inp).sinkParquet(dst, opts).collectSync());
  } catch (e) {
    mode = 'readJSON+writeParquet';
    pl.readJSON(inp, { format: 'lines' }).writeParquet(dst, opts);
  }
  out({ engine: 'polars', mode, seconds: now() - t0 });
}

// The text values, raw UTF-8, concatenated: what zstd -b compresses as the baseline.
async function extractText(inp, dst) {
  const t0 = now();
  const w = fs.createWriteStream(dst);
  const rl = readline.createInterface({ input: fs.createReadStream(inp), crlfDelay: Infinity });
  let n = 0, bytes = 0, pending = [];
  for await (const line of rl) {
    if (!line) continue;
    const t = JSON.parse(line).text;
    if (typeof t !== 'string') continue;
    const b = Buffer.from(t, 'utf8');
    pending.push(b);
    bytes += b.length;
    n++;
    if (pending.length >= 256) {
      if (!w.write(Buffer.concat(pending))) await new Promise((r) => w.once('drain', r));
      pending = [];
    }
  }
  w.write(Buffer.concat(pending));
  await new Promise((r) => w.end(r));
  out({ rows: n, bytes, seconds: now() - t0 });
}

const [cmd, ...a] = process.argv.slice(2);
try {
  switch (cmd) {
    case 'duck-convert': await duckConvert(a[0], a[1], a[2] || 1); break;
    case 'duck-scan': await duckScan(a[0], a[1] || 1, a[2] || 'all'); break;
    case 'polars-convert': await polarsConvert(a[0], a[1]); break;
    case 'extract-text': await extractText(a[0], a[1]); break;
    default:
      console.error('usage: engines.mjs duck-convert|duck-scan|polars-convert|extract-text ...');
      process.exit(2);
  }
} catch (e) {
  console.error(`engines.mjs ${cmd}: ${String(e.message || e).split('\n')[0]}`);
  process.exit(1);
}
process.exit(0);
