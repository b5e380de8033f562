// Panels for the Helios sidebar's panel registry: the alarm panel and the sync panel, drawn from
// the state their runtime PanelSource reports (shapes in docs/sidebar.md, "Adding a panel"). The
// alarm and sync nodes register a PanelSource with these ids; until they do, nothing is shown.
// A part of the package may replace a renderer with HeliosSidebar.registerPanel(id, renderer).
/* global $ */
// Scripts of the editor load in no fixed order: this part waits in the queue the sidebar runs.
(window.heliosSidebarParts = window.heliosSidebarParts || []).push((S) => {
  S.registerPanel('alarms', {
    label: (t) => t('alarms.title'),
    render(box, state, api) {
      const { t } = api;
      const active = [...(state.active ?? [])].sort((a, b) => a.priority - b.priority || a.since - b.since);
      if (active.length === 0) $('<div class="helios-note">').text(t('alarms.none')).appendTo(box);
      for (const alarm of active) {
        const row = $('<div class="helios-alarm">')
          .attr({ 'data-alarm': alarm.id, 'data-state': alarm.state })
          .addClass(`helios-priority-${Math.min(4, alarm.priority)}`)
          .appendTo(box);
        $('<div class="helios-alarm-name">').text(`P${alarm.priority} ${alarm.name}`).appendTo(row);
        $('<div class="helios-note">')
          .text(
            `${t(`alarms.state.${alarm.state}`)} · ${api.time(alarm.since)}${alarm.value === undefined ? '' : ` · ${alarm.value}`}`,
          )
          .appendTo(row);
        if (alarm.message) $('<div>').text(alarm.message).appendTo(row);
        const buttons = $('<div class="helios-console-bar">').appendTo(row);
        if (alarm.state === 'active') {
          $('<button class="red-ui-button helios-ack">')
            .text(t('alarms.ack'))
            .on('click', () => api.action('ack', { id: alarm.id }))
            .appendTo(buttons);
        }
        if (alarm.state !== 'shelved') {
          $('<button class="red-ui-button helios-shelve">')
            .text(t('alarms.shelve'))
            .on('click', () => api.action('shelve', { id: alarm.id, minutes: 60 }))
            .appendTo(buttons);
        }
      }
      const transitions = (state.transitions ?? []).slice(0, 10);
      if (transitions.length > 0) {
        $('<div class="helios-subtitle">').text(t('alarms.transitions')).appendTo(box);
        const list = $('<ul class="helios-transitions">').appendTo(box);
        for (const tr of transitions)
          $('<li>')
            .text(`${api.time(tr.time)} ${tr.name}: ${tr.from} → ${tr.to}`)
            .appendTo(list);
      }
    },
  });

  S.registerPanel('sync', {
    label: (t) => t('sync.title'),
    render(box, state, api) {
      const { t } = api;
      const nodes = state.nodes ?? [];
      if (nodes.length === 0) $('<div class="helios-note">').text(t('sync.none')).appendTo(box);
      for (const n of nodes) {
        const card = $('<div class="helios-table-card helios-sync-node">')
          .attr('data-sync', n.id)
          .appendTo(box);
        $('<div class="helios-table-name">').text(`${n.name} (${n.role})`).appendTo(card);
        const dl = $('<dl class="helios-figures">').appendTo(card);
        const fig = (label, value) => {
          $('<dt>').text(label).appendTo(dl);
          $('<dd>')
            .text(value ?? '–')
            .appendTo(dl);
        };
        fig(t('sync.connection'), n.connected ? t('sync.connected') : t('sync.disconnected'));
        fig(
          t('sync.backlog'),
          t('sync.backlogOf', {
            rows: (n.backlogRows ?? 0).toLocaleString(),
            bytes: api.bytes(n.backlogBytes ?? 0),
          }),
        );
        fig(t('sync.rate'), n.rate === undefined ? undefined : t('sync.rateOf', { rate: n.rate.toFixed(1) }));
        fig(
          t('sync.eta'),
          n.etaSeconds === undefined || n.etaSeconds === null ? undefined : `${Math.ceil(n.etaSeconds)} s`,
        );
        fig(t('sync.lastAck'), api.time(n.lastAck));
        fig(t('sync.lastError'), n.lastError);
        for (const q of n.quarantined ?? []) {
          const row = $('<div class="helios-quarantined">').attr('data-batch', q.id).appendTo(card);
          $('<div>')
            .text(t('sync.batchOf', { id: q.id, rows: q.rows, reason: q.reason }))
            .appendTo(row);
          const bar = $('<div class="helios-console-bar">').appendTo(row);
          for (const action of ['retry', 'export', 'drop']) {
            $('<button class="red-ui-button">')
              .addClass(`helios-${action}`)
              .text(t(`sync.${action}`))
              .on('click', () =>
                api.action(action, { node: n.id, batch: q.id }).then((r) => {
                  if (action === 'export' && r?.result?.text)
                    api.save(r.result.name ?? `${q.id}.jsonl`, r.result.text, 'text/plain');
                }),
              )
              .appendTo(bar);
          }
        }
      }
    },
  });
});
