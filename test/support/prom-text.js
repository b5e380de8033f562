// A strict parser of the Prometheus text exposition format 0.0.4 (prometheus.io/docs/instrumenting/
// exposition_formats): # HELP / # TYPE lines, samples `name{label="value",...} value [timestamp]`,
// label values with \\, \" and \n escapes, float values incl. NaN and +Inf/-Inf. Throws on any line
// it cannot read or a sample of no declared family, and checks each histogram: buckets cumulative,
// le="+Inf" present and equal to _count. Returns Map family -> { type, help, samples: [{name, labels, value}] }.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text, line) {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text, line) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at "${text.slice(i)}"`);
    i += m[0].length;
    let value = '';
    for (;;) {
      if (i >= text.length) throw new Error(`line ${line}: unterminated label value`);
      const c = text[i];
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`line ${line}: bad escape \\${n}`);
        i += 2;
      } else if (c === '"') {
        i++;
        break;
      } else {
        value += c;
        i++;
      }
    }
    if (m[1] in labels) throw new Error(`line ${line}: label ${m[1]} twice`);
    labels[m[1]] = value;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected , between labels`);
  }
  return labels;
}

function familyOf(name, families) {
  if (families.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return undefined;
}

function parsePrometheusText(text) {
  const families = new Map();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      if (!NAME.test(m[2])) throw new Error(`line ${line}: bad metric name ${m[2]}`);
      const family = families.get(m[2]) ?? { type: 'untyped', help: '', samples: [] };
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3])) throw new Error(`line ${line}: bad type ${m[3]}`);
        family.type = m[3];
      } else family.help = m[3];
      families.set(m[2], family);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = familyOf(m[1], families);
    if (!name) throw new Error(`line ${line}: sample ${m[1]} of no declared family`);
    families.get(name).samples.push({
      name: m[1],
      labels: m[3] ? parseLabels(m[3], line) : {},
      value: parseValue(m[4], line),
    });
  });
  for (const [name, family] of families) if (family.type === 'histogram') checkHistogram(name, family);
  return families;
}

function checkHistogram(name, family) {
  const groups = new Map();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    const g = groups.get(key) ?? { buckets: [], count: undefined };
    if (s.name === `${name}_bucket`) g.buckets.push({ le: parseValue(le, 0), value: s.value });
    if (s.name === `${name}_count`) g.count = s.value;
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    g.buckets.sort((a, b) => a.le - b.le);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i].value < g.buckets[i - 1].value)
        throw new Error(`${name}${key}: buckets not cumulative`);
    }
    const inf = g.buckets.at(-1);
    if (!inf || inf.le !== Number.POSITIVE_INFINITY) throw new Error(`${name}${key}: no le="+Inf" bucket`);
    if (inf.value !== g.count)
      throw new Error(`${name}${key}: +Inf bucket ${inf.value} != _count ${g.count}`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
function sampleValue(families, name, labels = {}) {
  const family = families.get(familyOf(name, families) ?? name);
  const found = family?.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found?.length !== 1)
    throw new Error(`${name} ${JSON.stringify(labels)}: ${found?.length ?? 0} samples`);
  return found[0].value;
}

module.exports = { parsePrometheusText, sampleValue };
