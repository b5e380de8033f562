// Whole programs, written as SQLite programs on industrial gateways write them (test/programs/*.js:
// schema, batch inserts in transactions, alerts, sync flags, purges), run step by step on SQLite
// (better-sqlite3) and on Helios; every step's result must agree (test/support/program-runner.js
// says how results are compared). The programs are the specification of the SQLite-compatible
// statements Helios is gaining (issue #11).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');
const {
  runProgram,
  listDisagreements,
  sqliteProblems,
  formatDisagreement,
  compareOutcomes,
  orderByTie,
  runSqliteStep,
} = require('./support/program-runner');

const DIR = path.join(__dirname, 'programs');
const PROGRAMS = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
  .sort()
  .map((f) => ({ file: f, program: require(path.join(DIR, f)) }));

/** Runs `program` on a fresh in-memory SQLite; `reverse` makes unordered scans run backwards. */
async function onSqlite(program, { reverse = false } = {}) {
  const db = new Database(':memory:');
  try {
    if (reverse) db.pragma('reverse_unordered_selects = ON');
    return await runProgram(program, { sqlite: db });
  } finally {
    db.close();
  }
}

function report(title, lines, max = 8) {
  const shown = lines.slice(0, max).join('\n\n');
  const more = lines.length > max ? `\n\n... and ${lines.length - max} more` : '';
  return `${title}\n\n${shown}${more}`;
}

describe('SQLite programs', () => {
  it('are found, and each is { name, description, steps }', () => {
    assert.ok(PROGRAMS.length >= 5, `programs in ${DIR}`);
    for (const { file, program } of PROGRAMS) {
      assert.equal(typeof program.name, 'string', file);
      assert.equal(typeof program.description, 'string', file);
      assert.ok(Array.isArray(program.steps) && program.steps.length > 0, file);
    }
  });

  for (const { file, program } of PROGRAMS) {
    describe(`${program.name} (${file})`, () => {
      it('runs on SQLite as written: only the steps marked expectError fail, every SELECT returns rows', async () => {
        const problems = sqliteProblems(await onSqlite(program));
        assert.deepEqual(problems, [], problems.join('\n'));
      });

      it("gives the same results whatever SQLite's scan order (no LIMIT without ORDER BY)", async () => {
        const normal = await onSqlite(program);
        const reversed = await onSqlite(program, { reverse: true });
        const diffs = [];
        normal.forEach((r, i) => {
          const why = compareOutcomes(r.sqlite, reversed[i].sqlite, r);
          if (why) diffs.push(`step ${r.step}: ${why.replaceAll('Helios', 'reversed scan')}\n  ${r.sql}`);
        });
        assert.deepEqual(diffs, [], diffs.join('\n'));
      });

      it('orders completely where it has ORDER BY (no two different rows tie, LIMIT or not)', () => {
        const db = new Database(':memory:');
        const ties = [];
        try {
          program.steps.forEach((step, i) => {
            const tie = orderByTie(db, step);
            if (tie) ties.push(`step ${i + 1}: ${tie}\n  ${step.sql}`);
            runSqliteStep(db, step);
          });
        } finally {
          db.close();
        }
        assert.deepEqual(ties, [], ties.join('\n'));
      });

      it('agrees with Helios at every step', async function () {
        // Prints every step where Helios and SQLite disagree.
        this.timeout(120000);
        const sqlite = new Database(':memory:');
        const helios = await open(tempDir('helios-programs-'));
        let results;
        try {
          results = await runProgram(program, { sqlite, helios });
        } finally {
          sqlite.close();
          await helios.close();
        }
        const disagreements = listDisagreements(results);
        const title = `${disagreements.length} of ${results.length} steps disagree in "${program.name}":`;
        assert.equal(disagreements.length, 0, report(title, disagreements.map(formatDisagreement)));
      });
    });
  }
});
