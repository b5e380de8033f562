/**
 * Checksums of query results, so that engines can be compared without shipping whole results
 * between processes: values made engine-neutral (BIGINT and number alike, booleans as 0/1), floats
 * rounded to 1e-6, rows sorted. Small results also keep their unrounded rows, because a float can
 * straddle a rounding boundary (an average of 0.01-quantized values often ends in exactly ...5 at
 * the 7th decimal) while agreeing to 15 digits.
 */

const crypto = require('node:crypto');

/** Results up to this many rows travel to the parent in full, for a tolerant comparison. */
const FULL_RESULT_ROWS = 2000;

/** A value as compared: integers of any JS type alike, booleans as 0/1, text as text. */
function plainValue(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  return String(value);
}

/** A value as checksummed: a plain value with floats rounded to 1e-6. */
function canonicalValue(value) {
  const plain = plainValue(value);
  if (typeof plain !== 'number' || Number.isInteger(plain)) return plain;
  return Math.round(plain * 1e6) / 1e6;
}

/**
 * The checksum of a result: each row's values in column order (names are not compared), floats
 * rounded to 1e-6, rows sorted, so engines that order ties differently still agree. Small results
 * also keep their rows unrounded (in the same order) so that the parent can tell a float that
 * straddles a rounding boundary from a real difference.
 */
function checksumRows(rows) {
  const keyed = rows.map((row) => {
    const values = Object.values(row);
    return { key: JSON.stringify(values.map(canonicalValue)), values: values.map(plainValue) };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const hash = crypto.createHash('sha256');
  for (const { key } of keyed) hash.update(key).update('\n');
  return {
    rows: rows.length,
    checksum: hash.digest('hex').slice(0, 16),
    sample: keyed.slice(0, 2).map((k) => k.key),
    full: rows.length <= FULL_RESULT_ROWS ? keyed.map((k) => k.values) : null,
  };
}

/** Relative difference allowed between two engines' floats when their checksums differ. */
const FLOAT_TOLERANCE = 1e-9;

function closeEnough(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= FLOAT_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

/** Whether two full results (rows of plain values in checksum order) agree within FLOAT_TOLERANCE. */
function sameWithinTolerance(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((row, i) => row.length === b[i].length && row.every((v, j) => closeEnough(v, b[i][j])));
}

module.exports = {
  checksumRows,
  canonicalValue,
  plainValue,
  sameWithinTolerance,
  FULL_RESULT_ROWS,
  FLOAT_TOLERANCE,
};
