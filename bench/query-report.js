/**
 * The query benchmark's report: result agreement across engines (checksums), the targets of
 * issue 3, and Markdown tables of p50 / p99 per engine.
 */

const { QUERIES } = require('./query-queries');
const { sameWithinTolerance } = require('./query-checksum');

const PEERS = ['sqlite', 'sqlite-compact', 'duckdb'];
const LABELS = {
  helios: 'Helios',
  'helios-head': 'Helios, last 10% in head',
  sqlite: 'SQLite',
  'sqlite-compact': 'SQLite compact',
  duckdb: 'DuckDB',
};
/** The last-24 h one-machine query must stay under this p99 at 10M readings. */
const LATENCY_TARGET = { query: 'threshold-24h', p99Ms: 5, readings: 1e7 };

function queryResult(engineResult, id) {
  return engineResult?.queries?.find((q) => q.id === id) ?? null;
}

/**
 * Per query: each engine's checksum, and whether they all agree: the same checksum, or (a float
 * that straddles a 1e-6 rounding boundary) the same rows within a relative 1e-9. A query whose
 * result changed between its first and last run (`stable` false) counts as a mismatch too.
 */
function compareResults(engines) {
  const perQuery = [];
  const mismatches = [];
  for (const { id } of QUERIES) {
    const checksums = {};
    const full = {};
    for (const [engine, result] of Object.entries(engines)) {
      const q = queryResult(result, id);
      if (!q || q.error) continue;
      checksums[engine] = { checksum: q.checksum, rows: q.rows, stable: q.stable };
      full[engine] = q.full;
    }
    const names = Object.keys(checksums);
    const reference = names[0];
    const differ = names.filter(
      (e) =>
        checksums[e].checksum !== checksums[reference].checksum &&
        !sameWithinTolerance(full[e], full[reference]),
    );
    const tolerant = names.some((e) => checksums[e].checksum !== checksums[reference]?.checksum);
    const unstable = names.filter((e) => !checksums[e].stable);
    const agree = differ.length === 0 && unstable.length === 0;
    perQuery.push({ id, agree, withinTolerance: agree && tolerant, checksums });
    if (!agree) mismatches.push({ id, checksums, differ, reference, unstable });
  }
  for (const m of mismatches) {
    const detail = Object.entries(m.checksums)
      .map(([e, c]) => `${e}=${c.checksum} (${c.rows} rows${c.stable ? '' : ', changed between runs'})`)
      .join(', ');
    const who = [
      ...m.differ.map((e) => `${e} differs from ${m.reference}`),
      ...m.unstable.map((e) => `${e} unstable`),
    ];
    process.stderr.write(`\n!!! MISMATCH in ${m.id} (${who.join('; ')}): ${detail}\n`);
  }
  return { perQuery, mismatches };
}

/** The fastest peer's p50 (and which) for one query at one size, or null if no peer ran it. */
function fastestPeer(size, id) {
  let best = null;
  for (const engine of PEERS) {
    const q = queryResult(size.engines[engine], id);
    if (!q || q.error) continue;
    if (!best || q.p50 < best.p50) best = { engine, p50: q.p50, p99: q.p99 };
  }
  return best;
}

/** PASS/MISS per query and size (Helios p50 <= fastest peer's), and the 10M latency target. */
function evaluateQueryTargets(results) {
  const rows = [];
  for (const size of results.sizes) {
    for (const { id } of QUERIES) {
      const helios = queryResult(size.engines.helios, id);
      const peer = fastestPeer(size, id);
      if (!helios || helios.error || !peer) continue;
      rows.push({
        readings: size.readings,
        query: id,
        target: 'p50 <= fastest peer',
        value: helios.p50 / peer.p50,
        peer: peer.engine,
        pass: helios.p50 <= peer.p50,
      });
    }
    const latency = queryResult(size.engines.helios, LATENCY_TARGET.query);
    if (size.readings === LATENCY_TARGET.readings && latency && !latency.error) {
      rows.push({
        readings: size.readings,
        query: LATENCY_TARGET.query,
        target: `p99 < ${LATENCY_TARGET.p99Ms} ms`,
        value: latency.p99,
        pass: latency.p99 < LATENCY_TARGET.p99Ms,
      });
    }
  }
  return rows;
}

function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

function cell(q) {
  if (!q) return '-';
  if (q.error) return 'error';
  return `${ms(q.p50)} / ${ms(q.p99)}`;
}

function ratio(q, peer) {
  if (!q || q.error || !peer) return '-';
  return `${(q.p50 / peer.p50).toFixed(2)}x`;
}

function sizeTable(size, engines) {
  const head = ['query', 'rows', ...engines.map((e) => `${LABELS[e]} p50 / p99 ms`)];
  head.push('fastest peer', 'Helios / fastest (p50)', 'head / fastest (p50)', 'results');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`];
  for (const { id } of QUERIES) {
    if (!engines.some((e) => queryResult(size.engines[e], id))) continue; // not run (--only)
    const any = engines.map((e) => queryResult(size.engines[e], id)).find((q) => q && !q.error);
    const peer = fastestPeer(size, id);
    const check = size.comparison.perQuery.find((c) => c.id === id);
    const cells = [
      `\`${id}\``,
      any ? any.rows.toLocaleString('en-US') : '-',
      ...engines.map((e) => cell(queryResult(size.engines[e], id))),
      peer ? LABELS[peer.engine] : '-',
      ratio(queryResult(size.engines.helios, id), peer),
      ratio(queryResult(size.engines['helios-head'], id), peer),
      check?.agree ? (check.withinTolerance ? 'agree (1e-9)' : 'agree') : '**MISMATCH**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function loadLines(size, engines) {
  return engines.map((engine) => {
    const r = size.engines[engine];
    if (!r || r.error) return `- ${LABELS[engine]}: FAILED: ${(r?.error ?? 'no result').split('\n')[0]}`;
    const mb = (r.load.disk.bytes / 1e6).toFixed(1);
    const threads = r.load.threads ? `, ${r.load.threads} threads` : '';
    const head = r.load.headRows ? `, ${r.load.headRows.toLocaleString('en-US')} rows in the head` : '';
    const extra = `${head}${threads}`;
    const errors = r.queries.filter((q) => q.error).map((q) => `${q.id}: ${q.error.split('\n')[0]}`);
    const failed = errors.length ? `; query errors: ${errors.join('; ')}` : '';
    return `- ${LABELS[engine]}: loaded in ${(r.load.loadMs / 1000).toFixed(1)} s, ${mb} MB on disk${extra}${failed}`;
  });
}

function runsNote(size, engines) {
  const counts = new Set();
  for (const engine of engines) {
    for (const q of size.engines[engine]?.queries ?? []) if (!q.error) counts.add(q.samplesMs.length);
  }
  const sorted = [...counts].sort((a, b) => a - b);
  return sorted.length
    ? `Timed runs per query: ${sorted.join(', ')} (slow queries stop at the time budget).`
    : '';
}

function formatTargets(targets) {
  if (targets.length === 0) return 'No target could be evaluated (Helios or every peer missing).';
  const lines = ['| readings | query | target | Helios | result |', '|---:|---|---|---:|---|'];
  for (const t of targets) {
    const value = t.target.startsWith('p99')
      ? `${ms(t.value)} ms`
      : `${t.value.toFixed(2)}x ${LABELS[t.peer]}`;
    lines.push(
      `| ${t.readings.toLocaleString('en-US')} | \`${t.query}\` | ${t.target} | ${value} | ${t.pass ? 'PASS' : 'MISS'} |`,
    );
  }
  return lines.join('\n');
}

function formatQueryReport(results) {
  const m = results.machine;
  const out = ['', `## Query benchmark run ${results.startedAt}`, ''];
  out.push(
    `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Node ${m.node}, ` +
      `better-sqlite3 ${m.betterSqlite3} (SQLite ${m.sqlite}), @duckdb/node-api ${m.duckdbNodeApi ?? 'absent'}. ` +
      `Commit ${m.commit}. Load average at start: ${results.loadAverage.start.map((x) => x.toFixed(2)).join(' ')}, ` +
      `at end: ${results.loadAverage.end.map((x) => x.toFixed(2)).join(' ')}.`,
  );
  if (results.skipped.length) out.push('', `Skipped: ${results.skipped.join(', ')} (see the lines above).`);
  for (const size of results.sizes) {
    const engines = results.options.engines.filter((e) => size.engines[e]);
    out.push('', `### ${size.readings.toLocaleString('en-US')} readings, queries`, '');
    out.push(...loadLines(size, engines), '', sizeTable(size, engines), '', runsNote(size, engines));
    if (size.comparison.mismatches.length) {
      out.push('', `**MISMATCH** in ${size.comparison.mismatches.map((x) => x.id).join(', ')}: see stderr.`);
    }
  }
  out.push('', '### Query targets', '', formatTargets(results.targets), '');
  return out.join('\n');
}

module.exports = { compareResults, evaluateQueryTargets, formatQueryReport, fastestPeer };
