// read_check.mjs SOURCE.jsonl FILE.parquet... — reads each parq-written file with DuckDB and
// with Polars and compares the rows with the JSON Lines source (compare.mjs rules).
// Prints one "ok ..." / "FAIL ..." line per file and reader, then "counts: P F".
import path from 'node:path';
import { compareRows, readJsonl } from './compare.mjs';
import { duckReadParquet, polarsReadParquet } from './readers.mjs';

const [src, ...files] = process.argv.slice(2);
if (!src || !files.length) { console.error('usage: node read_check.mjs SOURCE.jsonl FILE...'); process.exit(2); }
const expected = readJsonl(src);
let pass = 0, fail = 0;
const report = (label, diffs) => {
  if (diffs.length) { fail++; console.log(`FAIL ${label}`); for (const d of diffs.slice(0, 6)) console.log('     ' + d); }
  else { pass++; console.log(`ok   ${label}`); }
};
for (const f of files) {
  const name = path.basename(f);
  try {
    report(`duckdb reads ${name}`, compareRows(expected, await duckReadParquet(f), 6));
  } catch (e) {
    report(`duckdb reads ${name}`, [`error: ${e.message.split('\n')[0]}`]);
  }
  try {
    const { rows, skipped } = await polarsReadParquet(f);
    // Columns nodejs-polars cannot represent (binary, uuid) are left out of the comparison.
    const exp = skipped.length ? expected.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !skipped.includes(k)))) : expected;
    report(`polars reads ${name}${skipped.length ? ` (without ${skipped.join(',')})` : ''}`, compareRows(exp, rows, 6));
  } catch (e) {
    report(`polars reads ${name}`, [`error: ${e.message.split('\n')[0]}`]);
  }
}
console.log(`counts: ${pass} ${fail}`);
