/** The NAB fixture series (test/fixtures/nab/*.csv) as readings, for bytes-per-reading of real data. */

const fs = require('node:fs');
const path = require('node:path');

const NAB_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'nab');

/** The fixture series names (file names without .csv), sorted. */
function nabSeriesNames() {
  return fs
    .readdirSync(NAB_DIR)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/**
 * One series as `{ time, value }` pairs in file order. NAB timestamps are UTC without a zone
 * ('2013-07-04 00:00:00'), so they are parsed as ISO-8601 with 'Z'.
 */
function loadNabSeries(name) {
  const lines = fs.readFileSync(path.join(NAB_DIR, `${name}.csv`), 'utf8').split('\n');
  const points = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [stamp, text] = line.split(',');
    const time = Date.parse(`${stamp.trim().replace(' ', 'T')}Z`);
    const value = Number(text);
    if (!Number.isFinite(time) || !Number.isFinite(value)) throw new Error(`${name}.csv: bad line "${line}"`);
    points.push({ time, value });
  }
  return points;
}

module.exports = { nabSeriesNames, loadNabSeries, NAB_DIR };
