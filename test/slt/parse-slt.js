// Parser for the .slt files that specify the SQL dialect (sqllogictest format plus a `load`
// directive for short time-series fixtures). See test/slt/README.md.

/** Expands one series value token: `1+2x3` -> 1 3 5 7, `5x2` -> 5 5 5, `_` -> missing, `_x3` -> 4 missing. */
function expandToken(token) {
  let m = /^(-?[\d.]+(?:e[+-]?\d+)?)([+-][\d.]+(?:e[+-]?\d+)?)x(\d+)$/i.exec(token);
  if (m) {
    const start = Number(m[1]);
    const step = Number(m[2]);
    const decimals = Math.max(decimalsOf(m[1]), decimalsOf(m[2].slice(1)));
    return Array.from({ length: Number(m[3]) + 1 }, (_, i) => ({
      value: round(start + step * i, decimals),
      float: decimals > 0,
    }));
  }
  m = /^(.+)x(\d+)$/.exec(token);
  if (m && !/^".*"$/.test(token)) return Array.from({ length: Number(m[2]) + 1 }, () => scalar(m[1])[0]);
  return scalar(token);
}

function decimalsOf(s) {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

function round(x, decimals) {
  return decimals ? Number(x.toFixed(decimals)) : x;
}

function scalar(token) {
  if (token === '_') return [undefined];
  if (token === 'true' || token === 'false') return [{ value: token === 'true' }];
  if (/^".*"$/.test(token)) return [{ value: token.slice(1, -1) }];
  if (/^-?[\d.]+(e[+-]?\d+)?$/i.test(token)) return [{ value: Number(token), float: token.includes('.') }];
  return [{ value: token }];
}

/** Splits on spaces outside double quotes. */
function tokens(text) {
  return text.match(/"[^"]*"|\S+/g) ?? [];
}

/**
 * Parses a `load` block: `load <table> every <interval-ms-or-text> [from <ms-or-iso>]` then lines
 * `<k=v,k=v | -> <field>[:int]: <values...>`. Returns readings merged per (series, time).
 */
function parseLoad(header, lines, parseInterval) {
  const m = /^load\s+(\S+)\s+every\s+(\S+)(?:\s+from\s+(\S+))?\s*$/.exec(header);
  if (!m) throw new Error(`bad load header: ${header}`);
  const table = m[1];
  const step = /^\d+$/.test(m[2]) ? Number(m[2]) : parseInterval(m[2]);
  const from = m[3] === undefined ? 0 : /^-?\d+$/.test(m[3]) ? Number(m[3]) : Date.parse(m[3]);
  const byKey = new Map();
  for (const line of lines) {
    const lm = /^\s*(\S+)\s+([A-Za-z_][\w]*)(?::(int|float|bool|string))?:\s*(.*)$/.exec(line);
    if (!lm) throw new Error(`bad load line: ${line}`);
    const tags = {};
    if (lm[1] !== '-') {
      for (const pair of lm[1].split(',')) {
        const [k, v] = pair.split('=');
        tags[k] = v;
      }
    }
    const field = lm[2];
    const type = lm[3];
    const values = tokens(lm[4]).flatMap(expandToken);
    values.forEach((v, i) => {
      if (v === undefined) return;
      const time = from + i * step;
      const key = `${JSON.stringify(tags)}@${time}`;
      let r = byKey.get(key);
      if (!r) {
        r = { time, tags, fields: {} };
        byKey.set(key, r);
      }
      let value = v.value;
      if (type === 'int') value = BigInt(value);
      else if (type === 'string') value = String(value);
      r.fields[field] = value;
    });
  }
  const readings = [...byKey.values()].map((r) =>
    Object.keys(r.tags).length ? r : { time: r.time, fields: r.fields },
  );
  return { table, readings };
}

/**
 * Records of a file: { type: 'statement', ok, error, sql, line } | { type: 'query', types, sort, sql,
 * expected: string[], line } | { type: 'load', table, readings, line } | { type: 'now', value } |
 * { type: 'maxrows', value } | { type: 'only', target } (the file runs only against that target:
 * `only database` for what the in-memory target cannot model, such as rowids).
 */
function parseSlt(text, parseInterval) {
  const lines = text.split('\n');
  const records = [];
  let i = 0;
  const block = () => {
    const out = [];
    while (i < lines.length && lines[i].trim() !== '') out.push(lines[i++]);
    return out;
  };
  while (i < lines.length) {
    const line = lines[i];
    const lineNo = i + 1;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    i++;
    if (line.startsWith('statement ')) {
      const m = /^statement\s+(ok|error)\s*(.*)$/.exec(line);
      if (!m) throw new Error(`line ${lineNo}: bad statement header`);
      records.push({
        type: 'statement',
        ok: m[1] === 'ok',
        error: m[2].trim(),
        sql: block().join('\n'),
        line: lineNo,
      });
    } else if (line.startsWith('query ')) {
      const parts = line.split(/\s+/);
      const body = block();
      const sep = body.indexOf('----');
      const sql = (sep < 0 ? body : body.slice(0, sep)).join('\n');
      const expected = sep < 0 ? [] : body.slice(sep + 1);
      records.push({
        type: 'query',
        types: parts[1],
        sort: parts[2] ?? 'nosort',
        sql,
        expected,
        line: lineNo,
      });
    } else if (line.startsWith('load ')) {
      const { table, readings } = parseLoad(line, block(), parseInterval);
      records.push({ type: 'load', table, readings, line: lineNo });
    } else if (line.startsWith('now ')) {
      const v = line.slice(4).trim();
      records.push({ type: 'now', value: /^-?\d+$/.test(v) ? Number(v) : Date.parse(v), line: lineNo });
    } else if (line.startsWith('only ')) {
      records.push({ type: 'only', target: line.slice(5).trim(), line: lineNo });
    } else if (line.startsWith('maxrows ')) {
      records.push({ type: 'maxrows', value: Number(line.slice(8).trim()), line: lineNo });
    } else {
      throw new Error(`line ${lineNo}: unknown record "${line}"`);
    }
  }
  return records;
}

module.exports = { parseSlt, expandToken };
