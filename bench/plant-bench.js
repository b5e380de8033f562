/**
 * The plant benchmark (issue #13): Helios side by side with SQLite (better-sqlite3) and, where the
 * query benchmark measures it, DuckDB, on the plant workload (bench/plant-workload.js). Each
 * measurement runs in a fresh child process (bench/plant-child.js), one at a time:
 * per size and engine, an ingest (1,000-reading deliveries, then close) and then, in another
 * process, the queries of plant-queries.js on the database that ingest left. Prints Markdown tables
 * (Helios, SQLite, DuckDB, Helios / SQLite, PASS/MISS against #13's targets) and writes the raw
 * numbers to bench/.data/plant-results-<time>.json (and plant-latest.json). Exit code 2 when the
 * engines' answers disagree.
 *
 *   node bench/plant-bench.js [--sizes 500k,5M] [--sensors 300] [--engines helios,sqlite,duckdb]
 *                             [--batch 1000] [--runs 100] [--warmups 200] [--min-runs 5]
 *                             [--budget-seconds 20] [--no-queries]
 *   node bench/plant-bench.js --report bench/.data/plant-latest.json   (print a saved run again)
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChild, killActiveChild, attempt } = require('./child-runner');
const { parseCount, describeMachine, heliosAvailability, tryCommand } = require('./common');
const { duckdbAvailability } = require('./query-engines');
const { sameWithinTolerance } = require('./query-checksum');
const { PLANT_QUERIES } = require('./plant-queries');
const { DEFAULTS } = require('./plant-workload');

const DATA_ROOT = path.join(__dirname, '.data');
const CHILD = path.join(__dirname, 'plant-child.js');
const MIB = 1024 * 1024;
const PEERS = ['sqlite', 'duckdb'];

function parseArgs(argv) {
  const opts = {
    sizes: [5e5, 5e6],
    sensors: DEFAULTS.sensors,
    engines: ['helios', 'sqlite', 'duckdb'],
    batch: 1000,
    runs: 100,
    warmups: 200,
    minRuns: 5,
    budgetSeconds: 20,
    queries: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--sizes') opts.sizes = value().split(',').map(parseCount);
    else if (arg === '--sensors') opts.sensors = parseCount(value());
    else if (arg === '--engines') opts.engines = value().split(',');
    else if (arg === '--batch') opts.batch = parseCount(value());
    else if (arg === '--runs') opts.runs = parseCount(value());
    else if (arg === '--warmups') opts.warmups = parseCount(value());
    else if (arg === '--min-runs') opts.minRuns = parseCount(value());
    else if (arg === '--budget-seconds') opts.budgetSeconds = Number(value());
    else if (arg === '--no-queries') opts.queries = false;
    else throw new Error(`unknown option ${arg}`);
  }
  return opts;
}

function freshDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Per engine: the ingest in one child, then the queries on its database in another. */
async function measureSize(opts, runDir, engines, readings) {
  const workload = { sensors: opts.sensors };
  const size = { readings, ingest: {}, queries: {} };
  const n = readings.toLocaleString('en-US');
  for (const engine of engines) {
    const dir = freshDir(path.join(runDir, `${engine}-${readings}`));
    const task = { engine, op: 'ingest', dir, readings, batchSize: opts.batch, workload };
    const ingest = await attempt(`${engine} ingest ${n}`, () => runChild(CHILD, task));
    size.ingest[engine] = ingest;
    if (opts.queries && !ingest.error) {
      const queryTask = {
        engine,
        op: 'queries',
        dir,
        now: ingest.maxTime,
        warmups: opts.warmups,
        runs: opts.runs,
        minRuns: opts.minRuns,
        budgetMs: opts.budgetSeconds * 1000,
      };
      size.queries[engine] = await attempt(`${engine} queries ${n}`, () => runChild(CHILD, queryTask));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const harness = { engine: 'harness', op: 'ingest', readings, batchSize: opts.batch, workload };
  size.ingest.harness = await attempt(`harness alone ${n}`, () => runChild(CHILD, harness));
  size.comparison = compareAnswers(size.queries);
  for (const result of Object.values(size.queries)) for (const q of result.queries ?? []) delete q.full;
  return size;
}

/** Per query: whether every engine's answer agrees with Helios's (or SQLite's without Helios). */
function compareAnswers(queries) {
  const engines = Object.keys(queries).filter((e) => !queries[e].error);
  const out = {};
  const mismatches = [];
  for (const { id } of PLANT_QUERIES) {
    const results = engines
      .map((e) => [e, queries[e].queries.find((q) => q.id === id)])
      .filter(([, q]) => q && !q.error);
    if (results.length < 2) {
      out[id] = 'n/a';
      continue;
    }
    const [refEngine, ref] = results[0];
    let status = 'agree';
    for (const [engine, q] of results.slice(1)) {
      if (q.checksum === ref.checksum) continue;
      if (sameWithinTolerance(q.full, ref.full)) {
        if (status === 'agree') status = 'agree (1e-9)';
        continue;
      }
      status = 'MISMATCH';
      mismatches.push({
        id,
        engines: [refEngine, engine],
        rows: [ref.rows, q.rows],
        samples: [ref.sample, q.sample],
      });
    }
    for (const [engine, q] of results) {
      if (!q.stable) {
        status = 'MISMATCH';
        mismatches.push({ id, engines: [engine], unstable: true });
      }
    }
    out[id] = status;
  }
  for (const m of mismatches) process.stderr.write(`!!! MISMATCH ${m.id}: ${JSON.stringify(m)}\n`);
  return { byQuery: out, mismatches };
}

/* ---------- report ---------- */

function sizeLabel(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}
const ok = (r) => r && !r.error;
const fmt = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
function fmtRate(v) {
  if (v === null || v === undefined) return '-';
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M/s` : `${(v / 1e3).toFixed(0)}k/s`;
}
function fmtMs(v) {
  if (v === null || v === undefined) return '-';
  return v < 1 ? `${v.toFixed(3)} ms` : v < 100 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`;
}

/** The figures of one ingest: rates over every reading delivered, bytes per reading delivered. */
function ingestFigures(row) {
  if (!ok(row)) return null;
  const n = row.readings;
  return {
    rate: n / ((row.writeMs + row.closeMs) / 1000),
    writeRate: n / (row.writeMs / 1000),
    closeMs: row.closeMs,
    bytesPerReading: row.disk ? row.disk.bytes / n : null,
    peakRssMB: row.peakRssBytes / MIB,
    stallMs: row.maxLoopStallMs,
    cpuSeconds: row.cpuMs / 1000,
    rows: row.stats?.table?.rows ?? null,
  };
}

function status(measured, pass) {
  return measured === null || measured === undefined ? 'n/a' : pass ? 'PASS' : 'MISS';
}

/** Every #13 target at every size, with the measured figure. */
function evaluateTargets(results) {
  const out = [];
  for (const size of results.sizes) {
    const s = sizeLabel(size.readings);
    const h = ingestFigures(size.ingest.helios);
    const q = ingestFigures(size.ingest.sqlite);
    const ratio = h && q ? h.rate / q.rate : null;
    const at5M = size.readings === 5e6 ? '' : ' (target set for 5M)';
    out.push({
      target: 'batched ingest incl. close >= 4x SQLite',
      scope: s,
      shown: ratio === null ? '-' : `${ratio.toFixed(2)}x`,
      status: status(ratio, ratio >= 4),
    });
    out.push({
      target: 'on disk <= 2.0 B/reading',
      scope: s,
      shown: fmt(h?.bytesPerReading),
      status: status(h?.bytesPerReading, h?.bytesPerReading <= 2),
    });
    out.push({
      target: `peak RSS while ingesting < 150 MB${at5M}`,
      scope: s,
      shown: h ? `${h.peakRssMB.toFixed(0)} MB` : '-',
      status: status(h?.peakRssMB, h?.peakRssMB < 150),
    });
    out.push({
      target: 'longest event-loop stall while ingesting <= 20 ms',
      scope: s,
      shown: h ? fmtMs(h.stallMs) : '-',
      status: status(h?.stallMs, h?.stallMs <= 20),
    });
    for (const query of PLANT_QUERIES) {
      const hq = queryOf(size, 'helios', query.id);
      const peers = query.target === 'sqlite' ? ['sqlite'] : PEERS;
      const best = bestPeer(size, query.id, peers);
      const agreed = size.comparison?.byQuery?.[query.id];
      const label = `${query.id} p50 <= ${query.target === 'sqlite' ? 'SQLite' : 'fastest peer'}`;
      if (agreed === 'MISMATCH') {
        out.push({ target: label, scope: s, shown: 'answers differ', status: 'MISMATCH' });
        continue;
      }
      const r = hq && best ? hq.p50 / best.p50 : null;
      out.push({
        target: label,
        scope: s,
        shown: r === null ? '-' : `${r.toFixed(2)}x (${best.engine})`,
        status: status(r, r <= 1),
      });
    }
  }
  return out;
}

function queryOf(size, engine, id) {
  const q = size.queries?.[engine]?.queries?.find((x) => x.id === id);
  return q && !q.error ? q : null;
}

function bestPeer(size, id, peers) {
  let best = null;
  for (const engine of peers) {
    const q = queryOf(size, engine, id);
    if (q && (!best || q.p50 < best.p50)) best = { engine, p50: q.p50 };
  }
  return best;
}

const NAMES = { helios: 'Helios', sqlite: 'SQLite', duckdb: 'DuckDB' };

function ingestTable(size, engines) {
  const figs = Object.fromEntries(engines.map((e) => [e, ingestFigures(size.ingest[e])]));
  const h = figs.helios;
  const q = figs.sqlite;
  const lines = [
    `| ${['measure', ...engines.map((e) => NAMES[e]), 'Helios / SQLite', 'target'].join(' | ')} |`,
    `|---|${engines.map(() => '---:').join('|')}|---:|---|`,
  ];
  const row = (label, key, show, target = '') => {
    const cells = engines.map((e) => (figs[e] ? show(figs[e][key]) : size.ingest[e]?.error ? 'failed' : '-'));
    const r = h && q && h[key] !== null && q[key] ? h[key] / q[key] : null;
    lines.push(`| ${label} | ${cells.join(' | ')} | ${r === null ? '-' : `${r.toFixed(2)}x`} | ${target} |`);
  };
  row('batched ingest incl. close (readings/s)', 'rate', fmtRate, '>= 4x SQLite');
  row('batched ingest, writes only (readings/s)', 'writeRate', fmtRate);
  row('close (final flush / checkpoint)', 'closeMs', fmtMs);
  row('bytes on disk per reading, after close', 'bytesPerReading', (v) => fmt(v), '<= 2.0 (Helios)');
  row('peak RSS while ingesting', 'peakRssMB', (v) => `${v.toFixed(0)} MB`, '< 150 MB at 5M');
  row('longest event-loop stall while ingesting', 'stallMs', fmtMs, '<= 20 ms');
  row('CPU time, open to close', 'cpuSeconds', (v) => `${v.toFixed(1)} s`);
  row('rows stored', 'rows', (v) => (v === null ? '-' : v.toLocaleString('en-US')));
  const harness = ingestFigures(size.ingest.harness);
  if (harness)
    lines.push(
      '',
      `Harness alone (the same readings made and dropped): peak RSS ${harness.peakRssMB.toFixed(0)} MB, CPU ${harness.cpuSeconds.toFixed(1)} s.`,
    );
  const hr = size.ingest.helios;
  if (ok(hr)) {
    lines.push(
      `Generated: ${JSON.stringify(hr.counts)} (explicit nulls are stored as rows of NULLs by every engine).`,
    );
  }
  return lines.join('\n');
}

function columnTable(size) {
  const hr = size.ingest.helios;
  if (!ok(hr) || !hr.columns) return '';
  const total = hr.disk.bytes;
  const lines = [
    `Helios on disk by column (from the segment footers: ${hr.columns.segments} segments, ${hr.columns.chunks.toLocaleString('en-US')} chunks):`,
    '',
    '| column | bytes | B/reading | share |',
    '|---|---:|---:|---:|',
  ];
  const entries = Object.entries(hr.columns.bytes).sort((a, b) => b[1] - a[1]);
  for (const [name, bytes] of entries)
    lines.push(
      `| ${name} | ${bytes.toLocaleString('en-US')} | ${(bytes / hr.readings).toFixed(3)} | ${((bytes / total) * 100).toFixed(1)}% |`,
    );
  lines.push(`| **total** | ${total.toLocaleString('en-US')} | ${(total / hr.readings).toFixed(3)} | 100% |`);
  return lines.join('\n');
}

function queryTable(size, engines) {
  const withQueries = engines.filter((e) => size.queries?.[e]);
  if (withQueries.length === 0) return '';
  const lines = [
    `| ${['query (p50 / p99)', ...withQueries.map((e) => NAMES[e]), 'Helios / SQLite p50', 'Helios / fastest peer', 'rows', 'answers'].join(' | ')} |`,
    `|---|${withQueries.map(() => '---:').join('|')}|---:|---:|---:|---|`,
  ];
  for (const query of PLANT_QUERIES) {
    const cells = withQueries.map((e) => {
      const q = size.queries[e]?.queries?.find((x) => x.id === query.id);
      if (!q) return '-';
      if (q.error) return `error: ${q.error.split('\n')[0].slice(0, 60)}`;
      return `${fmtMs(q.p50)} / ${fmtMs(q.p99)}`;
    });
    const h = queryOf(size, 'helios', query.id);
    const s = queryOf(size, 'sqlite', query.id);
    const best = bestPeer(size, query.id, PEERS);
    const agreed = size.comparison?.byQuery?.[query.id] ?? 'n/a';
    const mismatch = agreed === 'MISMATCH';
    const vsSqlite = mismatch ? '**MISMATCH**' : h && s ? `${(h.p50 / s.p50).toFixed(2)}x` : '-';
    const vsBest = mismatch
      ? '**MISMATCH**'
      : h && best
        ? `${(h.p50 / best.p50).toFixed(2)}x (${NAMES[best.engine]})`
        : '-';
    const rows = h?.rows ?? s?.rows ?? '-';
    lines.push(
      `| ${query.id} | ${cells.join(' | ')} | ${vsSqlite} | ${vsBest} | ${rows} | ${mismatch ? '**MISMATCH**' : agreed} |`,
    );
  }
  const info = withQueries
    .map((e) => {
      const i = size.queries[e]?.info;
      if (!i) return null;
      const removed =
        i.removedResent !== undefined
          ? `, ${i.removedResent} re-sent duplicates and ${i.removedNoValue} rows without a value removed first`
          : '';
      return `${NAMES[e]} ${i.rows?.toLocaleString('en-US')} rows${removed}`;
    })
    .filter(Boolean);
  lines.push('', `Rows queried: ${info.join('; ')}.`);
  return lines.join('\n');
}

function formatReport(results) {
  const out = [`# Plant workload benchmark (issue #13)`, ''];
  out.push(
    `${results.startedAt}, commit ${results.machine.commit}${results.helios.engineDirty ? ' (engine/ changed)' : ''}, ${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}, SQLite ${results.machine.sqlite}, DuckDB ${results.machine.duckdbNodeApi ?? 'skipped'}; load ${results.loadAverage.start.map((l) => l.toFixed(2)).join(' ')} at start, ${results.loadAverage.end.map((l) => l.toFixed(2)).join(' ')} at end.`,
    `Command: \`${results.command}\`. ${results.options.sensors} sensors, deliveries of ${results.options.batch} readings.`,
    '',
  );
  const engines = results.engines;
  for (const size of results.sizes) {
    out.push(`## ${sizeLabel(size.readings)} readings`, '', ingestTable(size, engines), '');
    const columns = columnTable(size);
    if (columns) out.push(columns, '');
    const queries = queryTable(size, engines);
    if (queries) out.push(queries, '');
  }
  out.push('## Targets (#13)', '', '| target | size | measured | status |', '|---|---|---:|---|');
  for (const t of results.targets) out.push(`| ${t.target} | ${t.scope} | ${t.shown} | ${t.status} |`);
  return `${out.join('\n')}\n`;
}

async function main() {
  const reportAt = process.argv.indexOf('--report');
  if (reportAt >= 0) {
    process.stdout.write(formatReport(JSON.parse(fs.readFileSync(process.argv[reportAt + 1], 'utf8'))));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(DATA_ROOT, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(DATA_ROOT, 'plant-run-'));
  const cleanup = () => fs.rmSync(runDir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    killActiveChild();
    cleanup();
    process.exit(130);
  });
  const helios = heliosAvailability();
  const duckdb = duckdbAvailability();
  const engines = opts.engines.filter((e) => {
    if (e === 'helios' && !helios.available) process.stderr.write(`Helios skipped: ${helios.reason}\n`);
    else if (e === 'duckdb' && !duckdb.available)
      process.stderr.write(
        'DuckDB skipped: @duckdb/node-api is not installed (npm install --no-save @duckdb/node-api)\n',
      );
    else return true;
    return false;
  });
  const root = path.join(__dirname, '..');
  const results = {
    startedAt: new Date().toISOString(),
    command: `node bench/plant-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...describeMachine(DATA_ROOT), duckdbNodeApi: duckdb.available ? duckdb.version : null },
    options: opts,
    engines,
    helios: {
      ...helios,
      engineDirty:
        (tryCommand('git', ['-C', root, 'status', '--porcelain', '--', 'engine']) ?? '').length > 0,
    },
    loadAverage: { start: os.loadavg() },
    sizes: [],
  };
  try {
    for (const readings of opts.sizes) {
      process.stderr.write(`Plant workload, ${readings.toLocaleString('en-US')} readings:\n`);
      results.sizes.push(await measureSize(opts, runDir, engines, readings));
    }
  } finally {
    cleanup();
  }
  results.finishedAt = new Date().toISOString();
  results.loadAverage.end = os.loadavg();
  results.targets = evaluateTargets(results);
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  fs.writeFileSync(path.join(DATA_ROOT, `plant-results-${stamp}.json`), json);
  fs.writeFileSync(path.join(DATA_ROOT, 'plant-latest.json'), json);
  process.stdout.write(formatReport(results));
  process.stderr.write(
    `\nJSON: bench/.data/plant-results-${stamp}.json (and bench/.data/plant-latest.json)\n`,
  );
  if (results.sizes.some((s) => s.comparison.mismatches.length > 0)) process.exitCode = 2;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
