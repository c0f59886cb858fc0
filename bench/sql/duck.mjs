// duck.mjs — runs one query in DuckDB (threads=1) for bench/sql/run.sh.
import { DuckDBInstance } from '../../tests/interop/node_modules/@duckdb/node-api/lib/index.js';
const con = await (await DuckDBInstance.create(':memory:')).connect();
await con.run('SET threads=1');
let best = Infinity;
for (let i = 0; i < 3; i++) {
  const t = process.hrtime.bigint();
  await con.runAndReadAll(process.argv[2]);
  best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
}
console.log(best.toFixed(3));
