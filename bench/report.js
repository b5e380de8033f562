/** Turns the benchmark's raw results into derived metrics, PASS/MISS targets and Markdown tables. */

const fs = require('node:fs');
const path = require('node:path');
const { NAB_DIR } = require('./nab');

const MIB = 1024 * 1024;

/** The figures derived from one ingest run (readings/s, bytes per reading...), or null if it failed. */
function ingestMetrics(row) {
  if (!row || row.error) return null;
  const n = row.readings;
  const io = row.io;
  const useWchar = io !== null && io.write_bytes === 0;
  const written = io === null ? null : useWchar ? io.wchar : io.write_bytes;
  return {
    rate: n / ((row.writeMs + row.closeMs) / 1000),
    writeRate: n / (row.writeMs / 1000),
    closeMs: row.closeMs,
    diskPerReading: row.disk.bytes / n,
    allocatedPerReading: row.disk.allocated / n,
    writtenPerReading: written === null ? null : written / n,
    writtenSource: io === null ? 'none' : useWchar ? 'wchar (write_bytes read 0)' : 'write_bytes',
    wcharPerReading: io === null ? null : io.wchar / n,
    writtenVsFinal: written === null ? null : written / row.disk.bytes,
    peakRssMB: row.peakRssBytes / MIB,
    cpuSeconds: row.cpuMs / 1000,
    coldOpenMs: row.coldOpen && !row.coldOpen.error ? row.coldOpen.medianMs : null,
    maxLoopStallMs: row.maxLoopStallMs,
    rowsStored: row.stats?.table?.rows ?? null,
  };
}

function onePerCallRate(r) {
  return r && !r.error && r.writeMs > 0 ? r.readings / ((r.writeMs + r.closeMs) / 1000) : null;
}

function findRow(results, engine, readings, variant) {
  return results.ingest?.find((r) => r.engine === engine && r.readings === readings && r.variant === variant);
}

function sizeLabel(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

function check(target, scope, measured, pass, shown) {
  return { target, scope, measured, shown, status: measured === null ? 'n/a' : pass ? 'PASS' : 'MISS' };
}

/** Every target the team checks, with the measured number; status n/a where it was not measured. */
function evaluateTargets(results) {
  const out = [];
  const sizes = results.options?.sizes ?? [];
  for (const size of sizes) {
    const s = sizeLabel(size);
    const h = ingestMetrics(findRow(results, 'helios', size, 'jittered'));
    const q = ingestMetrics(findRow(results, 'sqlite', size, 'jittered'));
    const hr = ingestMetrics(findRow(results, 'helios', size, 'regular'));
    const ratio = h && q ? h.rate / q.rate : null;
    out.push(check('batched ingest >= 2M readings/s', s, h?.rate ?? null, h?.rate >= 2e6, fmtRate(h?.rate)));
    out.push(check('batched ingest >= 4x SQLite', s, ratio, ratio >= 4, fmtRatio(ratio)));
    out.push(
      check(
        'on disk <= 1.5 B/reading',
        s,
        h?.diskPerReading ?? null,
        h?.diskPerReading <= 1.5,
        fmtB(h?.diskPerReading),
      ),
    );
    out.push(
      check(
        'on disk <= 0.5 B/reading, regular timestamps',
        s,
        hr?.diskPerReading ?? null,
        hr?.diskPerReading <= 0.5,
        fmtB(hr?.diskPerReading),
      ),
    );
    out.push(
      check(
        'bytes written <= 3x final size',
        s,
        h?.writtenVsFinal ?? null,
        h?.writtenVsFinal <= 3,
        fmtRatio(h?.writtenVsFinal),
      ),
    );
    const at10M = size === 1e7 ? '' : ' (target set for 10M)';
    out.push(
      check(
        `cold open < 100 ms${at10M}`,
        s,
        h?.coldOpenMs ?? null,
        h?.coldOpenMs < 100,
        fmtMs(h?.coldOpenMs),
      ),
    );
    out.push(
      check(
        `peak RSS while ingesting < 150 MB${at10M}`,
        s,
        h?.peakRssMB ?? null,
        h?.peakRssMB < 150,
        fmtMB(h?.peakRssMB),
      ),
    );
  }
  const single = onePerCallRate(results.onePerCall?.helios);
  out.push(check('one-per-call >= 100k readings/s', '-', single, single >= 1e5, fmtRate(single)));
  const replay = results.walReplay;
  const perMillion = replay?.medianMs != null ? replay.medianMs / (replay.readings / 1e6) : null;
  out.push(
    check(
      'WAL replay < 1 s per 1M readings',
      replay ? sizeLabel(replay.readings) : '-',
      perMillion,
      perMillion < 1000,
      perMillion === null ? '-' : `${fmtMs(perMillion)} per 1M`,
    ),
  );
  return out;
}

function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function fmtRate(n) {
  return n == null ? '-' : `${fmtNumber(n)}/s`;
}
function fmtRatio(n) {
  return n == null ? '-' : `${fmtNumber(n, 2)}x`;
}
function fmtB(n) {
  return n == null ? '-' : fmtNumber(n, n < 10 ? 3 : 1);
}
function fmtMs(n) {
  return n == null ? '-' : `${fmtNumber(n, n < 10 ? 2 : 1)} ms`;
}
function fmtMB(n) {
  return n == null ? '-' : `${fmtNumber(n, 1)} MB`;
}

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

function ratioOf(a, b) {
  return a == null || b == null || b === 0 ? '-' : fmtRatio(a / b);
}

function ingestTable(results, size, variant) {
  const h = ingestMetrics(findRow(results, 'helios', size, variant));
  const q = ingestMetrics(findRow(results, 'sqlite', size, variant));
  const runs = results.options?.openRuns ?? 0;
  const line = (label, key, format) => [
    label,
    format(h?.[key]),
    format(q?.[key]),
    ratioOf(h?.[key], q?.[key]),
  ];
  const rows = [
    line('batched ingest, readings/s (writes + close)', 'rate', fmtRate),
    line('batched ingest, readings/s (write loop, without close)', 'writeRate', fmtRate),
    line('close, ms', 'closeMs', fmtMs),
    line('on disk after close, B/reading', 'diskPerReading', fmtB),
    line('on disk, allocated blocks, B/reading', 'allocatedPerReading', fmtB),
    line(
      `written, B/reading (${h?.writtenSource ?? q?.writtenSource ?? 'write_bytes'})`,
      'writtenPerReading',
      fmtB,
    ),
    line('written, B/reading (wchar)', 'wcharPerReading', fmtB),
    line('written / final size', 'writtenVsFinal', fmtRatio),
  ];
  if (variant === 'jittered' && runs > 0)
    rows.push(line(`cold open, median of ${runs}`, 'coldOpenMs', fmtMs));
  rows.push(
    line('CPU time of the ingesting process (user + sys), s', 'cpuSeconds', (n) => fmtNumber(n, 2)),
    line('peak RSS of the ingesting process', 'peakRssMB', fmtMB),
    line('longest event-loop stall while ingesting', 'maxLoopStallMs', fmtMs),
    line('rows stored (check)', 'rowsStored', (n) => fmtNumber(n)),
  );
  const errors = ['helios', 'sqlite']
    .map((e) => findRow(results, e, size, variant))
    .filter((r) => r?.error)
    .map((r) => `\n${r.engine} failed: ${r.error.split('\n')[0]}\n`);
  const title = `### ${sizeLabel(size)} readings, ${variant} timestamps\n\n`;
  return (
    title +
    table(['metric', 'Helios', 'SQLite', 'Helios / SQLite'], rows) +
    errors.join('') +
    harnessNote(results, size, variant)
  );
}

/** The harness's own share (Node + making the readings), measured without any engine. */
function harnessNote(results, size, variant) {
  const h = findRow(results, 'harness', size, 'jittered');
  if (variant !== 'jittered' || !h || h.error) return '';
  return (
    `\nThe harness alone (Node plus making the same ${sizeLabel(size)} readings as objects, no engine): ` +
    `peak RSS ${fmtMB(h.peakRssBytes / MIB)}, CPU ${fmtNumber(h.cpuMs / 1000, 2)} s.\n`
  );
}

function onePerCallTable(results) {
  const h = results.onePerCall?.helios;
  const q = results.onePerCall?.sqlite;
  const cell = (r) => (r?.error ? `failed: ${r.error.split('\n')[0]}` : fmtRate(onePerCallRate(r)));
  const count = (r) => (r && !r.error ? `${fmtNumber(r.readings)}${r.timedOut ? ' (time cap)' : ''}` : '-');
  return (
    '### One write per reading\n\n' +
    table(
      ['metric', 'Helios', 'SQLite', 'Helios / SQLite'],
      [
        ['readings written', count(h), count(q), '-'],
        ['readings/s', cell(h), cell(q), ratioOf(onePerCallRate(h), onePerCallRate(q))],
      ],
    )
  );
}

function walReplayTable(results) {
  const r = results.walReplay;
  if (!r) return '';
  if (r.fill?.error) return `### WAL replay (Helios)\n\nfill failed: ${r.fill.error.split('\n')[0]}\n`;
  const stats = r.fill.stats ?? {};
  const rows = [
    ['unflushed readings at SIGKILL', fmtNumber(r.readings)],
    ['head rows before the kill (stats.headRows)', fmtNumber(stats.headRows)],
    ['WAL bytes before the kill (stats.walBytes)', fmtNumber(stats.walBytes)],
    ['directory size at the kill', fmtNumber(r.fill.disk?.bytes)],
  ];
  r.runs.forEach((run, i) => {
    const shown = run.error ? `failed: ${run.error.split('\n')[0]}` : fmtMs(run.openMs);
    const rowsBack = run.error ? '' : `, rows after replay: ${fmtNumber(run.stats?.table?.rows)}`;
    rows.push([`open (replay) run ${i + 1}`, `${shown}${rowsBack}`]);
  });
  rows.push(['open (replay), median', fmtMs(r.medianMs)]);
  return `### WAL replay (Helios)\n\n${table(['metric', 'value'], rows)}`;
}

function nabTable(results) {
  const h = results.nab?.helios;
  const q = results.nab?.sqlite;
  const names = [
    ...new Set([...(Array.isArray(h) ? h : []), ...(Array.isArray(q) ? q : [])].map((s) => s.name)),
  ];
  if (!names.length) return '';
  const perReading = (list, name) => {
    const s = Array.isArray(list) ? list.find((x) => x.name === name) : null;
    return s ? s.disk.bytes / s.readings : null;
  };
  const rows = names.map((name) => {
    const series = (Array.isArray(h) ? h : q).find((x) => x.name === name);
    const csv = fs.statSync(path.join(NAB_DIR, `${name}.csv`)).size / series.readings;
    const hb = perReading(h, name);
    const qb = perReading(q, name);
    return [name, fmtNumber(series.readings), fmtB(csv), fmtB(hb), fmtB(qb), ratioOf(hb, qb)];
  });
  return (
    '### NAB fixture series, bytes on disk per reading (one database per series, after close)\n\n' +
    table(['series', 'readings', 'CSV', 'Helios', 'SQLite', 'Helios / SQLite'], rows)
  );
}

function targetsTable(results) {
  const rows = results.targets.map((t) => [t.target, t.scope, t.shown, t.status]);
  return `### Targets\n\n${table(['target', 'at', 'measured', 'status'], rows)}`;
}

/** The whole report as Markdown. */
function formatReport(results) {
  const m = results.machine;
  const load = (l) => (l ? l.map((x) => x.toFixed(2)).join(' ') : '-');
  const rev = results.helios.commit
    ? `${results.helios.commit}${results.helios.engineDirty ? ' + uncommitted engine/ changes' : ''}`
    : 'unknown';
  const parts = [
    `## Benchmark run ${results.startedAt}\n\n\`${results.command}\`\n`,
    `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${m.disk ? `${m.disk.fsType} on ${m.disk.device}` : 'disk unknown'}, Node ${m.node}, ` +
      `better-sqlite3 ${m.betterSqlite3} (SQLite ${m.sqlite}). Engine at ${rev}. ` +
      `Load average (1/5/15 min) at start: ${load(results.loadAverage?.start)}, at end: ${load(results.loadAverage?.end)}.\n`,
  ];
  if (!results.helios.available) parts.push(`Helios not measured: ${results.helios.reason}\n`);
  for (const size of results.options.sizes) {
    parts.push(ingestTable(results, size, 'jittered'));
    if (results.options.regular) parts.push(ingestTable(results, size, 'regular'));
  }
  parts.push(onePerCallTable(results), walReplayTable(results), nabTable(results), targetsTable(results));
  return `${parts.filter(Boolean).join('\n')}\n`;
}

module.exports = { formatReport, evaluateTargets, ingestMetrics };
