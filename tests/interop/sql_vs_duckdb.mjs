// sql_vs_duckdb.mjs — runs the same SQL in DuckDB and in `parq sql --format jsonl` on
// generated Parquet data (NULLs, NaN, nested struct, dates, many groups, empty input) and
// compares the rows with compare.mjs rules (doubles within 1e-12 relative).
// usage: node sql_vs_duckdb.mjs PARQ_BIN WORKDIR   (prints ok/FAIL lines, exit 1 on failure)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { duck, duckValue } from './readers.mjs';
import { parseJson, compareRows } from './compare.mjs';

const [parq, work] = process.argv.slice(2);
const con = await duck();
fs.mkdirSync(`${work}/shards`, { recursive: true });
const gen = `
  SELECT i::BIGINT AS id,
    CASE WHEN i % 17 = 0 THEN NULL ELSE 'g' || (i % 23)::VARCHAR END AS g,
    CASE WHEN i % 11 = 0 THEN NULL WHEN i % 97 = 0 THEN 'NaN'::DOUBLE
         ELSE ((i * 7919) % 1000) / 10.0 - 20 END AS x,
    CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 31) % 200 - 50)::INTEGER END AS k,
    CASE WHEN i % 19 = 0 THEN NULL ELSE 'word' || ((i * 13) % 300)::VARCHAR || CASE WHEN i % 5 = 0 THEN 'Ab' ELSE 'xy' END END AS s,
    CASE WHEN i % 29 = 0 THEN NULL ELSE {'lang': CASE WHEN i % 3 = 0 THEN 'en' WHEN i % 3 = 1 THEN 'fr' ELSE NULL END, 'n': (i % 7)::INTEGER} END AS meta,
    CASE WHEN i % 31 = 0 THEN NULL ELSE DATE '2020-01-01' + (i % 1500)::INTEGER END AS d,
    (i % 1000)::BIGINT AS many
  FROM range(0, 6000) t(i)`;
for (let p = 0; p < 3; p++)
  await con.run(`COPY (${gen} WHERE i % 3 = ${p}) TO '${work}/shards/part${p}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 700)`);
await con.run(`COPY (${gen} WHERE false) TO '${work}/empty.parquet' (FORMAT parquet)`);

const T = `'${work}/shards/*.parquet'`, E = `'${work}/empty.parquet'`;
const queries = [
  `SELECT count(*) AS n FROM ${T}`,
  `SELECT count(*) AS n, count(x) AS cx, count(DISTINCT g) AS dg, sum(k) AS sk, avg(x) AS ax, min(s) AS mn, max(s) AS mx FROM ${T}`,
  `SELECT g, count(*) AS n, sum(k) AS sk, avg(k) AS ak, min(x) AS mnx, max(x) AS mxx FROM ${T} GROUP BY g ORDER BY g NULLS FIRST`,
  `SELECT many, count(*) AS n, sum(x) AS sx FROM ${T} GROUP BY many ORDER BY many`,
  `SELECT g, count(DISTINCT k) AS dk, count(DISTINCT meta.lang) AS dl FROM ${T} GROUP BY g ORDER BY g NULLS LAST`,
  `SELECT meta.lang AS lang, count(*) AS n, avg(meta.n) AS an FROM ${T} GROUP BY meta.lang ORDER BY lang NULLS FIRST`,
  `SELECT id, x, k FROM ${T} WHERE k > 100 AND x IS NOT NULL ORDER BY id LIMIT 50`,
  `SELECT id, k FROM ${T} WHERE k IN (1, 2, 3, NULL) OR k BETWEEN 140 AND 142 ORDER BY id`,
  `SELECT id FROM ${T} WHERE NOT (k = 5) AND s LIKE 'word1%Ab' ORDER BY id DESC LIMIT 20 OFFSET 3`,
  `SELECT id, k FROM ${T} WHERE k NOT IN (1, 2) AND id < 40 ORDER BY id`,
  `SELECT k, x FROM ${T} WHERE id < 300 ORDER BY k DESC NULLS FIRST, x ASC NULLS LAST, id LIMIT 100`,
  `SELECT id, k + 1 AS a, k * 2 - 3 AS b, k / 4 AS c, k % 7 AS m, -k AS neg, abs(k) AS ab, round(x, 1) AS r FROM ${T} WHERE id < 200 ORDER BY id`,
  `SELECT id, length(s) AS l, upper(s) AS u, lower(s) AS lo, substr(s, 2, 3) AS ss, coalesce(s, g, 'none') AS c FROM ${T} WHERE id < 200 ORDER BY id`,
  `SELECT id, CASE WHEN k < 0 THEN 'neg' WHEN k = 0 THEN 'zero' ELSE 'pos' END AS sign, CASE g WHEN 'g1' THEN 1 WHEN 'g2' THEN 2 END AS gg FROM ${T} WHERE id < 300 ORDER BY id`,
  `SELECT id, CAST(k AS DOUBLE) AS kd, CAST(x AS BIGINT) AS xi, CAST(k AS VARCHAR) AS ks, k IS NULL AS kn FROM ${T} WHERE id < 200 AND (x IS NULL OR NOT isnan(x)) ORDER BY id`,
  `SELECT year(d) AS y, month(d) AS m, count(*) AS n FROM ${T} GROUP BY year(d), month(d) ORDER BY y NULLS FIRST, m NULLS FIRST`,
  `SELECT extract(day FROM d) AS dd, count(*) AS n FROM ${T} WHERE d >= DATE '2021-01-01' GROUP BY 1 ORDER BY 1`,
  `SELECT g, count(*) AS n FROM ${T} GROUP BY g HAVING count(*) > 255 AND g IS NOT NULL ORDER BY n DESC, g`,
  `SELECT g, sum(k) AS sk FROM ${T} WHERE x > 10 GROUP BY g ORDER BY sum(k) DESC NULLS LAST, g LIMIT 5`,
  `SELECT x, count(*) AS n FROM ${T} WHERE id < 500 GROUP BY x ORDER BY x NULLS FIRST`,
  `SELECT DISTINCT g FROM ${T} ORDER BY g NULLS FIRST`,
  `SELECT id, x FROM ${T} ORDER BY x DESC NULLS LAST, id LIMIT 10`,
  `SELECT count(*) AS n, sum(k) AS sk, avg(x) AS ax, min(s) AS mn FROM ${E}`,
  `SELECT g, count(*) AS n FROM ${E} GROUP BY g ORDER BY g`,
  `SELECT id FROM ${E} ORDER BY id`,
  `SELECT t.id, t.meta.n AS mn FROM ${T} AS t WHERE t.meta.n = 3 AND t.id < 100 ORDER BY t.id`,
  `SELECT g || '-' || s AS gs FROM ${T} WHERE id BETWEEN 10 AND 20 ORDER BY id`,
  `SELECT count(*) AS n FROM ${T} WHERE s ILIKE '%ab' AND g <> 'g3'`,
];
// parq has no isnan(); the query above uses it only for DuckDB (parq gets the same rows via x = x)
const forParq = (q) => q.replace(/NOT isnan\(x\)/g, 'x = x AND x < 1e300');
const forDuck = (q) => q.replace(/NOT isnan\(x\)/g, 'NOT isnan(x)');

let fail = 0, pass = 0;
for (const q of queries) {
  let exp, act;
  try {
    const r = await con.runAndReadAll(forDuck(q));
    exp = r.getRowObjects().map((row) => {
      const o = {};
      for (const [k, v] of Object.entries(row)) o[k] = duckValue(v);
      return o;
    });
  } catch (e) {
    console.log(`FAIL duckdb rejected: ${q}\n  ${e.message}`);
    fail++;
    continue;
  }
  try {
    const out = execFileSync(parq, ['sql', forParq(q), '--format', 'jsonl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    act = out.split('\n').filter((l) => l.length).map(parseJson);
  } catch (e) {
    console.log(`FAIL parq failed: ${q}\n  ${String(e.stderr || e.message).slice(0, 400)}`);
    fail++;
    continue;
  }
  const diffs = compareRows(exp, act, 5);
  if (diffs.length) {
    console.log(`FAIL ${q}`);
    for (const d of diffs) console.log('  ' + d);
    fail++;
  } else {
    console.log(`ok   ${q.slice(0, 110)}`);
    pass++;
  }
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
