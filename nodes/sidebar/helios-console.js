// The Helios sidebar's SQL console: an editor that offers the engine's keywords, functions, tables
// and columns as you type; Run (Ctrl+Enter) and Explain; a time-range picker that writes the
// `time > now() - INTERVAL ...` condition; a paged result grid; a uPlot chart of a result with a
// time column and numbers; the error with a caret at its place; CSV / JSON downloads of the result
// and of a table's time range. The runtime caps rows (nodes/lib/admin/console-query.ts).
/* global RED, $, uPlot */
// Scripts of the editor load in no fixed order: this part waits in the queue the sidebar runs.
(window.heliosSidebarParts = window.heliosSidebarParts || []).push((S) => {
  const { api } = S;
  const { t } = api;
  const RANGES = ['15 minutes', '1 hour', '6 hours', '24 hours', '7 days', '30 days'];
  let vocabulary = { keywords: [], functions: [] };
  let last = null; // { sql, result }
  let plot = null;

  const box = S.section(t('console'), S.consoleBox);
  const editorWrap = $('<div class="helios-editor-wrap">').appendTo(box);
  const editor = $('<textarea class="helios-sql" spellcheck="false" rows="4">')
    .attr('placeholder', t('sqlPlaceholder'))
    .appendTo(editorWrap);
  const completions = $('<ul class="helios-completions">').hide().appendTo(editorWrap);
  const bar = $('<div class="helios-console-bar">').appendTo(box);
  const run = $('<button class="red-ui-button helios-run">').text(t('run')).appendTo(bar);
  const explain = $('<button class="red-ui-button helios-explain">').text(t('explain')).appendTo(bar);
  const range = $('<select class="helios-range">').appendTo(bar);
  $('<option value="">').text(t('timeRange')).appendTo(range);
  for (const r of RANGES)
    $('<option>')
      .val(r)
      .text(t('last', { range: r }))
      .appendTo(range);
  const downloads = $('<div class="helios-console-bar">').appendTo(box);
  const csv = $('<button class="red-ui-button helios-download-csv" disabled>')
    .text(t('downloadCsv'))
    .appendTo(downloads);
  const json = $('<button class="red-ui-button helios-download-json" disabled>')
    .text(t('downloadJson'))
    .appendTo(downloads);
  const exportTable = $('<button class="red-ui-button helios-export-range">')
    .text(t('exportRange'))
    .appendTo(downloads);
  const errorBox = $('<div class="helios-sql-error">').hide().appendTo(box);
  const info = $('<div class="helios-note helios-result-info">').appendTo(box);
  const chart = $('<div class="helios-plot">').hide().appendTo(box);
  const grid = $('<div class="helios-grid">').appendTo(box);
  const pager = $('<div class="helios-pager">').hide().appendTo(box);

  api.get('helios/vocabulary').then((v) => {
    vocabulary = v;
  });

  const dbUrl = (rest) => `helios/databases/${encodeURIComponent(api.database()?.id ?? '')}/${rest}`;

  function execute(sql, offset = 0) {
    if (!api.database() || sql.trim() === '') return;
    errorBox.hide();
    editor.removeClass('helios-has-error');
    info.text(t('running'));
    api.post(dbUrl('query'), { sql, offset, limit: 100 }).then(
      (result) => {
        last = { sql, result: offset === 0 || !last ? result : { ...result, plot: last.result.plot } };
        csv.prop('disabled', false);
        json.prop('disabled', false);
        drawResult();
      },
      (xhr) => showError(api.errorOf(xhr), sql),
    );
  }

  /** The message, and the line of SQL with a caret under the place it names; the place selected. */
  function showError(err, sql) {
    info.text('');
    grid.empty();
    pager.hide();
    chart.hide();
    errorBox.empty().show();
    // the engine's message carries the source line and caret already; keep its first line apart
    const [first, ...rest] = String(err.message).split('\n');
    $('<div class="helios-error-message">').text(first).appendTo(errorBox);
    if (err.offset !== null && err.offset !== undefined) {
      const lines = sql.split('\n');
      const source = lines[err.line - 1] ?? '';
      $('<pre class="helios-caret">')
        .text(`${source}\n${' '.repeat(Math.max(0, err.column - 1))}^`)
        .appendTo(errorBox);
      const hint = rest.filter((l) => !l.startsWith('  ')).join('\n');
      if (hint) $('<div class="helios-error-hint">').text(hint).appendTo(errorBox);
      editor.addClass('helios-has-error');
      const el = editor[0];
      el.focus();
      el.setSelectionRange(
        err.offset,
        Math.min(sql.length, err.offset + Math.max(1, wordAt(sql, err.offset))),
      );
    } else if (rest.length > 0) {
      $('<pre class="helios-caret">').text(rest.join('\n')).appendTo(errorBox);
    }
  }

  function wordAt(text, offset) {
    const m = /^[\w$.]+/.exec(text.slice(offset));
    return m ? m[0].length : 1;
  }

  function drawResult() {
    const { result } = last;
    const end = result.offset + result.rows.length;
    info.text(
      result.columns.length === 0
        ? t('changed', { count: result.changes, ms: result.ms.toFixed(1) })
        : t('rowsOf', {
            from: result.total === 0 ? 0 : result.offset + 1,
            to: end,
            total: result.total,
            ms: result.ms.toFixed(1),
          }),
    );
    drawGrid(result);
    drawPager(result);
    drawPlot(result.plot);
  }

  function drawGrid(result) {
    grid.empty();
    if (result.columns.length === 0) return;
    const table = $('<table class="helios-result">').appendTo(grid);
    const head = $('<tr>').appendTo($('<thead>').appendTo(table));
    for (const c of result.columns) $('<th>').text(c.name).attr('title', c.type).appendTo(head);
    const tbody = $('<tbody>').appendTo(table);
    for (const row of result.rows) {
      const tr = $('<tr>').appendTo(tbody);
      for (const c of result.columns) {
        const v = row[c.name];
        const td = $('<td>').appendTo(tr);
        if (v === null || v === undefined) td.addClass('helios-null').text('NULL');
        else if (c.type === 'time') td.text(api.time(v)).attr('title', String(v));
        else td.text(typeof v === 'object' ? JSON.stringify(v) : String(v));
        if (c.type === 'float' || c.type === 'int') td.addClass('helios-num');
      }
    }
  }

  function drawPager(result) {
    pager.empty();
    if (result.total <= result.rows.length) return pager.hide();
    pager.show();
    const prev = $('<button class="red-ui-button helios-prev">').text('‹').appendTo(pager);
    $('<span>')
      .text(` ${Math.floor(result.offset / 100) + 1} / ${Math.ceil(result.total / 100)} `)
      .appendTo(pager);
    const next = $('<button class="red-ui-button helios-next">').text('›').appendTo(pager);
    prev
      .prop('disabled', result.offset === 0)
      .on('click', () => execute(last.sql, Math.max(0, result.offset - 100)));
    next
      .prop('disabled', result.offset + result.rows.length >= result.total)
      .on('click', () => execute(last.sql, result.offset + 100));
  }

  const COLORS = ['#2b7bb9', '#d9534f', '#5cb85c', '#f0ad4e', '#8e44ad', '#16a085'];

  function drawPlot(data) {
    if (plot) {
      plot.destroy();
      plot = null;
    }
    if (!data || typeof uPlot === 'undefined') return chart.hide();
    chart.show().empty();
    const names = Object.keys(data.series);
    const series = [
      {},
      ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })),
    ];
    const values = [data.times.map((ms) => ms / 1000), ...names.map((n) => data.series[n])];
    plot = new uPlot(
      { width: Math.max(200, chart.width()), height: 180, series, legend: { show: true } },
      values,
      chart[0],
    );
  }

  new ResizeObserver(() => {
    if (plot) plot.setSize({ width: Math.max(200, chart.width()), height: 180 });
  }).observe(chart[0]);

  // ---- the time-range picker: writes or replaces `time > now() - INTERVAL '...'` ----
  range.on('change', () => {
    const r = range.val();
    range.val('');
    if (!r) return;
    editor.val(withRange(editor.val(), r));
  });

  function withRange(sql, r) {
    const cond = `time > now() - INTERVAL '${r}'`;
    const existing = /time\s*>=?\s*now\(\)\s*-\s*INTERVAL\s*'[^']*'/i;
    if (existing.test(sql)) return sql.replace(existing, cond);
    if (/\bwhere\b/i.test(sql)) return sql.replace(/\bwhere\b/i, (w) => `${w} ${cond} AND`);
    const from = /\bfrom\s+("[^"]+"|[\w.]+)/i.exec(sql);
    if (from)
      return `${sql.slice(0, from.index + from[0].length)} WHERE ${cond}${sql.slice(from.index + from[0].length)}`;
    const table = api.database()?.tables[0]?.name ?? 'my_table';
    return `SELECT * FROM ${table} WHERE ${cond} ORDER BY time DESC LIMIT 100`;
  }

  // ---- completion ----
  let items = [];
  let active = 0;

  function candidates(prefix) {
    const db = api.database();
    const p = prefix.toLowerCase();
    const out = [];
    const add = (text, kind) => {
      if (text.toLowerCase().startsWith(p) && text.toLowerCase() !== p) out.push({ text, kind });
    };
    for (const table of db?.tables ?? []) {
      add(table.name, 'table');
      for (const c of [...table.tags, ...table.fields.map((f) => f.name), 'time']) add(c, 'column');
    }
    for (const f of vocabulary.functions) add(f, 'function');
    for (const k of vocabulary.keywords) add(k, 'keyword');
    const seen = new Set();
    return out.filter((c) => !seen.has(c.text) && seen.add(c.text)).slice(0, 8);
  }

  function prefixAt() {
    const el = editor[0];
    const before = el.value.slice(0, el.selectionStart);
    return /[\w$]*$/.exec(before)[0];
  }

  function showCompletions() {
    // only while typing: text set by the range picker must not leave a list over the Run button
    if (document.activeElement !== editor[0]) return completions.hide();
    const prefix = prefixAt();
    items = prefix.length >= 1 ? candidates(prefix) : [];
    active = 0;
    completions.empty();
    if (items.length === 0) return completions.hide();
    items.forEach((c, i) => {
      $('<li>')
        .toggleClass('active', i === active)
        .attr('data-kind', c.kind)
        .append($('<span>').text(c.text), $('<small>').text(c.kind))
        .on('mousedown', (e) => {
          e.preventDefault();
          accept(i);
        })
        .appendTo(completions);
    });
    completions.show();
  }

  function accept(i) {
    const c = items[i];
    if (!c) return;
    const el = editor[0];
    const prefix = prefixAt();
    const start = el.selectionStart - prefix.length;
    const text = c.kind === 'function' ? `${c.text}(` : c.text;
    el.value = el.value.slice(0, start) + text + el.value.slice(el.selectionStart);
    el.setSelectionRange(start + text.length, start + text.length);
    completions.hide();
    items = [];
  }

  editor.on('input', showCompletions);
  editor.on('blur', () => completions.hide());
  editor.on('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      completions.hide();
      return execute(editor.val());
    }
    if (!completions.is(':visible') || items.length === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      completions.children().each((i, li) => $(li).toggleClass('active', i === active));
    } else if (e.key === 'Tab' || e.key === 'Enter') {
      e.preventDefault();
      accept(active);
    } else if (e.key === 'Escape') {
      completions.hide();
    }
  });

  run.on('click', () => execute(editor.val()));
  explain.on('click', () => {
    const sql = editor.val().replace(/^\s*explain\s+/i, '');
    execute(`EXPLAIN ${sql}`);
  });

  // ---- downloads ----
  function download(format) {
    if (!last) return;
    api.post(dbUrl('download'), { sql: last.sql, format }, 'text').then(
      (text) => api.save(`result.${format}`, text, format === 'json' ? 'application/json' : 'text/csv'),
      (xhr) => api.notifyError(xhr),
    );
  }
  csv.on('click', () => download('csv'));
  json.on('click', () => download('json'));

  exportTable.on('click', () => {
    const db = api.database();
    if (!db || db.tables.length === 0) return;
    const dialog = $('<div class="helios-export-dialog">');
    const tableSel = $('<select class="helios-export-table">').appendTo(
      $('<div class="form-row">').appendTo(dialog),
    );
    for (const table of db.tables) $('<option>').val(table.name).text(table.name).appendTo(tableSel);
    const when = $('<select class="helios-export-when">').appendTo(
      $('<div class="form-row">').appendTo(dialog),
    );
    $('<option value="">').text(t('allTime')).appendTo(when);
    for (const r of RANGES)
      $('<option>')
        .val(r)
        .text(t('last', { range: r }))
        .appendTo(when);
    const fmt = $('<select class="helios-export-format">').appendTo(
      $('<div class="form-row">').appendTo(dialog),
    );
    for (const f of ['csv', 'jsonl']) $('<option>').val(f).text(f).appendTo(fmt);
    dialog.dialog({
      title: t('exportRange'),
      modal: true,
      width: 320,
      buttons: [
        { text: t('cancel'), click: () => dialog.dialog('close') },
        {
          text: t('download'),
          class: 'primary',
          click: () => {
            const table = tableSel.val();
            const from = when.val() ? Date.now() - msOf(when.val()) : '';
            $.ajax({
              url: dbUrl(`tables/${encodeURIComponent(table)}/export?format=${fmt.val()}&from=${from}`),
              dataType: 'text',
            }).then(
              (text) => api.save(`${table}.${fmt.val()}`, text, 'text/plain'),
              (xhr) => api.notifyError(xhr),
            );
            dialog.dialog('close');
          },
        },
      ],
      close: () => dialog.remove(),
    });
  });

  function msOf(r) {
    const [n, unit] = r.split(' ');
    const per = { minutes: 60e3, hour: 3600e3, hours: 3600e3, days: 86400e3 }[unit] ?? 3600e3;
    return Number(n) * per;
  }

  S.console = { editor, execute };
  api.onChange(() => {
    if (!last && api.database()?.tables[0] && editor.val() === '') {
      editor.val(`SELECT * FROM ${api.database().tables[0].name} ORDER BY time DESC LIMIT 100`);
    }
  });
});
