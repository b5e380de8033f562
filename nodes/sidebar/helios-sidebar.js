// The Helios sidebar tab (issue #17): the databases of the running flows with their tables and
// storage figures, a SQL console (helios-console.js) and panels that other parts of the package
// add (sync, alarms: helios-panels.js). Data comes from the admin API under helios/ (guarded by
// helios.read / helios.write) and live over RED.comms (topics helios/databases, helios/panels/<id>);
// there is no polling loop here. Loaded by helios-db.html from resources/ (docs/sidebar.md).
/* global RED, $ */
(() => {
  const NS = '@helios-edge/node-red-helios/helios-db:helios-db.sidebar.';
  /** A label from the message catalog (locales/en-US/helios-db.json, "sidebar"). */
  const t = (key, subs) => RED._(NS + key, subs);

  /** Panel renderers by id: render(container, state, api) draws a panel's state. */
  const renderers = new Map();
  const state = { databases: [], panels: [], panelStates: new Map(), selected: null };
  const listeners = new Set();

  const api = {
    t,
    get: (url) => $.ajax({ url, method: 'GET', dataType: 'json' }),
    post: (url, body, dataType = 'json') =>
      $.ajax({
        url,
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify(body ?? {}),
        dataType,
      }),
    /** The selected database's view, or null. */
    database: () => state.databases.find((d) => d.id === state.selected) ?? null,
    onChange: (fn) => listeners.add(fn),
    /** A readable error of a failed request. */
    errorOf: (xhr) =>
      xhr.responseJSON ?? {
        message: xhr.status === 403 ? t('forbidden') : xhr.statusText || String(xhr.status),
      },
    bytes: (n) =>
      n < 1024
        ? `${n} B`
        : n < 1048576
          ? `${(n / 1024).toFixed(1)} KiB`
          : n < 1073741824
            ? `${(n / 1048576).toFixed(1)} MiB`
            : `${(n / 1073741824).toFixed(2)} GiB`,
    time: (ms) =>
      ms === null || ms === undefined || !Number.isFinite(ms)
        ? ''
        : new Date(ms).toISOString().replace('.000Z', 'Z'),
    /** A failed request's sentence as a notification (escaped: RED.notify takes HTML). */
    notifyError: (xhr) => RED.notify($('<div>').text(api.errorOf(xhr).message).html(), 'error'),
    /** Saves `text` as a file in the browser. */
    save: (name, text, type) => {
      const url = URL.createObjectURL(new Blob([text], { type }));
      const a = $('<a>').attr({ href: url, download: name }).appendTo(document.body);
      a[0].click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  };

  /**
   * For other parts of the package (sync, alarms): draws the panel of runtime PanelSource `id`
   * (nodes/lib/admin/panels.ts). `render(container, state, api)` is called with each new state.
   */
  function registerPanel(id, renderer) {
    renderers.set(id, renderer);
    drawPanels();
  }

  const content = $('<div class="helios-sidebar">');
  const header = $('<div class="helios-header">').appendTo(content);
  const picker = $('<select class="helios-db-picker">').appendTo(header);
  const badge = $('<span class="helios-badge">').appendTo(header);
  const body = $('<div class="helios-body">').appendTo(content);
  const overview = $('<div class="helios-section helios-overview">').appendTo(body);
  const consoleBox = $('<div class="helios-section helios-console">').appendTo(body);
  const panelBox = $('<div class="helios-panels">').appendTo(body);

  picker.on('change', () => {
    state.selected = picker.val();
    draw();
  });

  /** Sections folded by the user, by title (kept while the editor is open). */
  const folded = new Set();

  /** Empties `box` and gives it a title that folds it; returns the body to fill. */
  function section(title, box) {
    box.empty();
    const head = $('<div class="helios-section-title">').appendTo(box);
    $('<i class="fa fa-angle-down helios-fold">').appendTo(head);
    $('<span>').text(` ${title}`).appendTo(head);
    const inner = $('<div class="helios-section-body">').appendTo(box);
    const apply = () => {
      inner.toggle(!folded.has(title));
      head
        .find('.helios-fold')
        .toggleClass('fa-angle-down', !folded.has(title))
        .toggleClass('fa-angle-right', folded.has(title));
    };
    head.on('click', () => {
      if (folded.has(title)) folded.delete(title);
      else folded.add(title);
      apply();
    });
    apply();
    return inner;
  }

  function drawPicker() {
    const ids = state.databases.map((d) => d.id);
    if (!ids.includes(state.selected)) state.selected = ids[0] ?? null;
    picker.empty();
    if (ids.length === 0) $('<option>').text(t('noDatabases')).appendTo(picker);
    for (const d of state.databases) $('<option>').val(d.id).text(d.label).appendTo(picker);
    picker.val(state.selected);
  }

  function drawOverview() {
    const db = api.database();
    const box = section(t('tables'), overview);
    badge
      .attr('class', `helios-badge helios-state-${db?.state ?? 'none'}`)
      .text(db ? t(`state.${db.state}`) : '');
    if (!db) return;
    if (db.error) $('<div class="helios-error">').text(db.error).appendTo(box);
    if (db.state !== 'open') {
      $('<div class="helios-note">').text(t('notOpen')).appendTo(box);
      return;
    }
    if (db.tables.length === 0) $('<div class="helios-note">').text(t('noTables')).appendTo(box);
    for (const table of db.tables) {
      const card = $('<div class="helios-table-card">').attr('data-table', table.name).appendTo(box);
      $('<div class="helios-table-name">').text(table.name).appendTo(card);
      const dl = $('<dl class="helios-figures">').appendTo(card);
      const fig = (label, value) => {
        $('<dt>').text(label).appendTo(dl);
        $('<dd>').text(value).appendTo(dl);
      };
      fig(t('rows'), table.rows.toLocaleString());
      fig(t('series'), table.series.toLocaleString());
      fig(t('onDisk'), api.bytes(table.bytes));
      fig(t('perRow'), table.bytesPerRow === null ? '–' : `${table.bytesPerRow.toFixed(2)} B`);
      fig(t('from'), api.time(table.minTime));
      fig(t('to'), api.time(table.maxTime));
      fig(t('lastWrite'), table.lastWriteAt === null ? t('notSinceOpen') : api.time(table.lastWriteAt));
      fig(t('partitions'), String(table.partitions));
      fig(
        t('columns'),
        [
          ...table.tags.map((c) => `${c} (${t('tag')})`),
          ...table.fields.map((f) => `${f.name} (${f.type})`),
        ].join(', '),
      );
    }
    const storage = $('<dl class="helios-figures helios-storage">').appendTo(box);
    const fig = (label, value) => {
      $('<dt>').text(label).appendTo(storage);
      $('<dd>').text(value).appendTo(storage);
    };
    fig(t('wal'), api.bytes(db.walBytes));
    fig(t('headRows'), db.headRows.toLocaleString());
    fig(t('cache'), `${api.bytes(db.cacheBytes)} / ${api.bytes(db.cacheMaxBytes)}`);
    fig(t('quarantined'), db.quarantined.length === 0 ? t('none') : db.quarantined.join('\n'));
    if (db.lastBackgroundError) fig(t('backgroundError'), db.lastBackgroundError);
  }

  function drawPanels() {
    panelBox.empty();
    for (const id of state.panels) {
      const box = $('<div class="helios-section helios-panel">').attr('data-panel', id).appendTo(panelBox);
      const renderer = renderers.get(id);
      const inner = section(renderer?.label ? renderer.label(t) : id, box);
      const value = state.panelStates.get(id);
      if (value === undefined) {
        $('<div class="helios-note">').text(t('loading')).appendTo(inner);
        continue;
      }
      if (renderer) renderer.render(inner, value, panelApi(id));
      else
        $('<pre class="helios-json">')
          .text(JSON.stringify(value, null, 2))
          .appendTo(inner);
    }
  }

  /** What a panel renderer gets: api plus `action(name, body)` that POSTs helios/panels/<id>/<name>. */
  function panelApi(id) {
    return {
      ...api,
      action: (name, payload) =>
        api.post(`helios/panels/${encodeURIComponent(id)}/${encodeURIComponent(name)}`, payload).then(
          (r) => r,
          (xhr) => {
            api.notifyError(xhr);
            throw xhr;
          },
        ),
    };
  }

  function draw() {
    drawPicker();
    drawOverview();
    for (const fn of listeners) fn();
  }

  function loadPanel(id) {
    api.get(`helios/panels/${encodeURIComponent(id)}`).then((s) => {
      state.panelStates.set(id, s);
      drawPanels();
    });
  }

  function load() {
    api.get('helios/databases').then((r) => {
      state.databases = r.databases;
      state.panels = r.panels;
      for (const id of state.panels) loadPanel(id);
      draw();
      drawPanels();
    });
  }

  RED.sidebar.addTab({
    id: 'helios',
    label: t('label'),
    name: t('name'),
    iconClass: 'fa fa-database',
    content,
    enableOnEdit: true,
    action: 'helios:show-sidebar',
  });
  RED.actions.add('helios:show-sidebar', () => RED.sidebar.show('helios'));
  RED.comms.subscribe('helios/databases', (_topic, views) => {
    state.databases = views;
    draw();
  });
  RED.comms.subscribe('helios/panels', (_topic, ids) => {
    state.panels = ids;
    for (const id of ids) if (!state.panelStates.has(id)) loadPanel(id);
    drawPanels();
  });
  RED.comms.subscribe('helios/panels/+', (topic, value) => {
    state.panelStates.set(topic.slice('helios/panels/'.length), value);
    drawPanels();
  });
  RED.events.on('deploy', load);

  window.HeliosSidebar = { registerPanel, api, consoleBox, section, load };
  // Parts in other files (the console, the panels, a sync or alarm panel) queue a function in
  // window.heliosSidebarParts, as scripts load in no fixed order; each runs once the sidebar exists.
  const queued = Array.isArray(window.heliosSidebarParts) ? window.heliosSidebarParts : [];
  window.heliosSidebarParts = { push: (fn) => fn(window.HeliosSidebar) };
  for (const fn of queued) fn(window.HeliosSidebar);
  load();
})();
