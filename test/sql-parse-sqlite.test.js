// The SQL that SQLite programs on gateways run parses into syntax trees (engine/sql/parser.ts,
// parse-ddl.ts): SQLite's column and table constraints, CREATE/DROP INDEX, UPDATE, INSERT's SQLite
// forms (OR ..., REPLACE INTO, DEFAULT VALUES, ON CONFLICT, RETURNING), transactions and scripts.
// Each tree prints back to text that parses to the same tree; mistakes point at line and column;
// and what the engine cannot do yet is refused by the binder with a sentence, never ignored.
const assert = require('node:assert/strict');
const { parse, parseScript } = require('../dist/engine/sql/parser');
const { printStatement } = require('../dist/engine/sql/printer');
const { parseCached, parseScriptCached } = require('../dist/engine/sql/cache');
const { runQuery } = require('../dist/engine/query/query');
const { MemoryTarget } = require('./support/memory-target');

/** The tree without positions and source text (not part of the meaning). */
function strip(node) {
  return JSON.parse(
    JSON.stringify(node, (k, v) => (k === 'pos' || k === 'source' || v === undefined ? undefined : v)),
  );
}

const SENSOR_READINGS =
  "CREATE TABLE IF NOT EXISTS sensor_readings (id INTEGER PRIMARY KEY AUTOINCREMENT, sensor_id TEXT NOT NULL, sensor_type TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, timestamp INTEGER NOT NULL, machine_id TEXT NOT NULL, line_id TEXT NOT NULL, synced BOOLEAN DEFAULT 0, created_at INTEGER DEFAULT (strftime('%s', 'now')))";

/** Throws unless `sql` fails to parse with a message matching every pattern. */
function parseError(sql, ...patterns) {
  let message;
  try {
    parse(sql);
  } catch (err) {
    message = err.message;
  }
  assert.ok(message !== undefined, `expected an error for ${sql}`);
  for (const p of patterns) assert.match(message, p);
  return message;
}

describe('sql: SQLite CREATE TABLE', () => {
  it('parses a gateway schema with PRIMARY KEY AUTOINCREMENT, NOT NULL and DEFAULTs', () => {
    const s = parse(SENSOR_READINGS);
    assert.equal(s.kind, 'createTable');
    assert.equal(s.name, 'sensor_readings');
    assert.equal(s.ifNotExists, true);
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type, c.constraints.map((k) => k.kind).join(' ')]),
      [
        ['id', 'INTEGER', 'primaryKey'],
        ['sensor_id', 'TEXT', 'notNull'],
        ['sensor_type', 'TEXT', 'notNull'],
        ['value', 'REAL', 'notNull'],
        ['unit', 'TEXT', 'notNull'],
        ['timestamp', 'INTEGER', 'notNull'],
        ['machine_id', 'TEXT', 'notNull'],
        ['line_id', 'TEXT', 'notNull'],
        ['synced', 'BOOLEAN', 'default'],
        ['created_at', 'INTEGER', 'default'],
      ],
    );
    const [id] = s.columns;
    assert.deepEqual(strip(id.constraints[0]), { kind: 'primaryKey', autoincrement: true });
    assert.deepEqual(strip(s.columns[8].constraints[0].value), { kind: 'number', text: '0' });
    assert.deepEqual(strip(s.columns[9].constraints[0].value), {
      kind: 'call',
      name: 'strftime',
      args: [
        { kind: 'string', value: '%s' },
        { kind: 'string', value: 'now' },
      ],
      distinct: false,
      star: false,
    });
    assert.deepEqual(s.constraints, []);
    assert.equal(s.withoutRowid, false);
    assert.equal(s.strict, false);
    assert.deepEqual(s.options, []);
  });

  it('takes column constraints in any order and any number, each perhaps named', () => {
    const s = parse(
      'CREATE TABLE t (a TEXT CONSTRAINT nn NOT NULL ON CONFLICT REPLACE COLLATE NOCASE UNIQUE, ' +
        'b INT REFERENCES parent (id) ON DELETE CASCADE ON UPDATE SET NULL, c DEFAULT CURRENT_TIMESTAMP, ' +
        'd NULL PRIMARY KEY DESC ON CONFLICT IGNORE AUTOINCREMENT, e INT DEFAULT -1 CHECK (e > -10), ' +
        "f TEXT DEFAULT 'x' NOT NULL, g REAL UNIQUE ON CONFLICT ABORT DEFAULT (1.5 * 2) CONSTRAINT pos CHECK (g >= 0))",
    );
    const byName = Object.fromEntries(s.columns.map((c) => [c.name, strip(c)]));
    assert.deepEqual(byName.a, {
      name: 'a',
      type: 'TEXT',
      constraints: [
        { kind: 'notNull', name: 'nn', onConflict: 'replace' },
        { kind: 'collate', collation: 'NOCASE' },
        { kind: 'unique' },
      ],
    });
    assert.deepEqual(byName.b.constraints, [
      {
        kind: 'references',
        references: { table: 'parent', columns: ['id'], onDelete: 'cascade', onUpdate: 'set null' },
      },
    ]);
    // a column without a type; CURRENT_TIMESTAMP is a bare name, as SQLite reads it
    assert.deepEqual(byName.c, {
      name: 'c',
      type: '',
      constraints: [{ kind: 'default', value: { kind: 'column', name: 'CURRENT_TIMESTAMP' } }],
    });
    assert.deepEqual(byName.d.constraints, [
      { kind: 'null' },
      { kind: 'primaryKey', order: 'desc', onConflict: 'ignore', autoincrement: true },
    ]);
    assert.deepEqual(byName.e.constraints, [
      { kind: 'default', value: { kind: 'unary', op: '-', operand: { kind: 'number', text: '1' } } },
      {
        kind: 'check',
        expr: {
          kind: 'binary',
          op: '>',
          left: { kind: 'column', name: 'e' },
          right: { kind: 'unary', op: '-', operand: { kind: 'number', text: '10' } },
        },
      },
    ]);
    assert.deepEqual(
      byName.f.constraints.map((k) => k.kind),
      ['default', 'notNull'],
    );
    assert.deepEqual(
      byName.g.constraints.map((k) => [k.kind, k.name]),
      [
        ['unique', undefined],
        ['default', undefined],
        ['check', 'pos'],
      ],
    );
    assert.equal(byName.g.constraints[1].value.kind, 'binary');
  });

  it('reads absent, multi-word and sized types', () => {
    const bare = parse('CREATE TABLE t(a, b)');
    assert.deepEqual(strip(bare.columns), [
      { name: 'a', type: '', constraints: [] },
      { name: 'b', type: '', constraints: [] },
    ]);
    const s = parse(
      'CREATE TABLE t (x DOUBLE PRECISION, y UNSIGNED BIG INT NOT NULL, z VARCHAR(20), d DECIMAL(10, 2), ' +
        'n NUMERIC(-3), at TIMESTAMP WITH TIME ZONE, v CHARACTER VARYING(255) DEFAULT NULL)',
    );
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type, c.size]),
      [
        ['x', 'DOUBLE PRECISION', undefined],
        ['y', 'UNSIGNED BIG INT', undefined],
        ['z', 'VARCHAR', ['20']],
        ['d', 'DECIMAL', ['10', '2']],
        ['n', 'NUMERIC', ['-3']],
        ['at', 'TIMESTAMP WITH TIME ZONE', undefined],
        ['v', 'CHARACTER VARYING', ['255']],
      ],
    );
    assert.deepEqual(strip(s.columns[6].constraints), [{ kind: 'default', value: { kind: 'null' } }]);
  });

  it('parses table constraints and WITHOUT ROWID, STRICT', () => {
    const s = parse(
      'CREATE TABLE rooms (id INTEGER, floor INTEGER, name TEXT, building TEXT, ' +
        'CONSTRAINT floor_range CHECK (floor BETWEEN 1 AND 50), PRIMARY KEY (id, floor DESC) ON CONFLICT FAIL, ' +
        'CONSTRAINT one_name UNIQUE (name COLLATE NOCASE, building) ' +
        'FOREIGN KEY (building) REFERENCES buildings (code) ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED' +
        ') WITHOUT ROWID, STRICT',
    );
    assert.deepEqual(
      s.columns.map((c) => c.name),
      ['id', 'floor', 'name', 'building'],
    );
    assert.deepEqual(strip(s.constraints), [
      {
        kind: 'check',
        name: 'floor_range',
        expr: {
          kind: 'between',
          operand: { kind: 'column', name: 'floor' },
          low: { kind: 'number', text: '1' },
          high: { kind: 'number', text: '50' },
          not: false,
        },
      },
      {
        kind: 'primaryKey',
        columns: [
          { expr: { kind: 'column', name: 'id' } },
          { expr: { kind: 'column', name: 'floor' }, order: 'desc' },
        ],
        autoincrement: false,
        onConflict: 'fail',
      },
      {
        kind: 'unique',
        name: 'one_name',
        columns: [
          { expr: { kind: 'column', name: 'name' }, collate: 'NOCASE' },
          { expr: { kind: 'column', name: 'building' } },
        ],
      },
      {
        kind: 'foreignKey',
        columns: ['building'],
        references: {
          table: 'buildings',
          columns: ['code'],
          onDelete: 'set default',
          deferrable: { not: false, initially: 'deferred' },
        },
      },
    ]);
    assert.equal(s.withoutRowid, true);
    assert.equal(s.strict, true);
    assert.equal(parse('CREATE TABLE t (a INT) STRICT').strict, true);
  });

  it('skips -- and /* */ comments anywhere, between column definitions too', () => {
    const s = parse(`-- the readings
      CREATE TABLE IF NOT EXISTS readings ( -- one row per reading
        id INTEGER PRIMARY KEY, /* the rowid */
        value REAL /* no unit */ NOT NULL, -- required
        /* a column of its own */ note TEXT
        -- last line
      ) -- end`);
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type, c.constraints.map((k) => k.kind).join(' ')]),
      [
        ['id', 'INTEGER', 'primaryKey'],
        ['value', 'REAL', 'notNull'],
        ['note', 'TEXT', ''],
      ],
    );
  });

  it('keeps the Helios spellings: TAG, TEXT TAG, TIMESTAMP and WITH (...) options', () => {
    const s = parse(
      "CREATE TABLE machines (time TIMESTAMP, sensor_id TAG, line TEXT TAG, value DOUBLE, note VARCHAR(20)) WITH (partition = '1d', retention = '30 days')",
    );
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type]),
      [
        ['time', 'TIMESTAMP'],
        ['sensor_id', 'TAG'],
        ['line', 'TEXT TAG'],
        ['value', 'DOUBLE'],
        ['note', 'VARCHAR'],
      ],
    );
    assert.ok(s.columns.every((c) => c.constraints.length === 0));
    assert.deepEqual(strip(s.options), [
      { key: 'partition', value: { kind: 'string', value: '1d' } },
      { key: 'retention', value: { kind: 'string', value: '30 days' } },
    ]);
  });

  it('leaves the names programs use for columns usable as names', () => {
    const names = [
      'timestamp',
      'value',
      'key',
      'status',
      'level',
      'action',
      'synced',
      'unit',
      'begin',
      'commit',
      'rollback',
      'update',
      'replace',
      'returning',
      'conflict',
      'index',
      'default',
      'nothing',
      'rowid',
      'strict',
    ];
    const s = parse(`CREATE TABLE t (${names.map((n) => `${n} INTEGER`).join(', ')})`);
    assert.deepEqual(
      s.columns.map((c) => [c.name, c.type]),
      names.map((n) => [n, 'INTEGER']),
    );
    const q = parse(`SELECT ${names.join(', ')} FROM t WHERE status = 'open' AND key = ? ORDER BY timestamp`);
    assert.deepEqual(
      q.body.items.map((it) => it.expr.name),
      names,
    );
  });
});

describe('sql: SQLite indexes, UPDATE, INSERT, DELETE and transactions', () => {
  it('parses CREATE [UNIQUE] INDEX [IF NOT EXISTS] ... [WHERE] and DROP INDEX [IF EXISTS]', () => {
    const s = parse(
      'CREATE INDEX IF NOT EXISTS idx_machine_timestamp ON sensor_readings(machine_id, timestamp DESC)',
    );
    assert.deepEqual(strip(s), {
      kind: 'createIndex',
      name: 'idx_machine_timestamp',
      table: 'sensor_readings',
      unique: false,
      ifNotExists: true,
      columns: [
        { expr: { kind: 'column', name: 'machine_id' } },
        { expr: { kind: 'column', name: 'timestamp' }, order: 'desc' },
      ],
    });
    const u = parse(
      'CREATE UNIQUE INDEX idx_open ON alerts (machine_id COLLATE NOCASE ASC) WHERE acknowledged = 0',
    );
    assert.equal(u.unique, true);
    assert.equal(u.ifNotExists, false);
    assert.deepEqual(strip(u.columns), [
      { expr: { kind: 'column', name: 'machine_id' }, collate: 'NOCASE', order: 'asc' },
    ]);
    assert.equal(u.where.kind, 'binary');
    assert.deepEqual(strip(parse('DROP INDEX IF EXISTS idx_open')), {
      kind: 'dropIndex',
      name: 'idx_open',
      ifExists: true,
    });
    assert.deepEqual(strip(parse('DROP INDEX idx_open')), {
      kind: 'dropIndex',
      name: 'idx_open',
      ifExists: false,
    });
  });

  it('parses UPDATE [OR ...] t SET a = expr, ... [WHERE] [RETURNING]', () => {
    const s = parse(
      'UPDATE safety_alerts SET acknowledged = 1, acknowledged_by = ?1, acknowledged_at = ?2 WHERE id = ?3',
    );
    assert.equal(s.kind, 'update');
    assert.equal(s.table, 'safety_alerts');
    assert.equal(s.or, undefined);
    assert.deepEqual(strip(s.assignments), [
      { column: 'acknowledged', value: { kind: 'number', text: '1' } },
      { column: 'acknowledged_by', value: { kind: 'param', text: '?1' } },
      { column: 'acknowledged_at', value: { kind: 'param', text: '?2' } },
    ]);
    assert.deepEqual(strip(s.where), {
      kind: 'binary',
      op: '=',
      left: { kind: 'column', name: 'id' },
      right: { kind: 'param', text: '?3' },
    });
    assert.equal(s.returning, undefined);

    const synced = parse('UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?');
    assert.equal(synced.where.op, 'AND');
    assert.deepEqual(strip(synced.where.right.right), { kind: 'param', text: '?', index: 1 });

    for (const or of ['replace', 'ignore', 'abort', 'fail', 'rollback']) {
      const u = parse(`UPDATE OR ${or.toUpperCase()} t SET a = a + 1 RETURNING *`);
      assert.equal(u.or, or);
      assert.deepEqual(strip(u.returning), [{ kind: 'star' }]);
    }
  });

  it('parses INSERT OR ..., REPLACE INTO and DEFAULT VALUES', () => {
    for (const or of ['replace', 'ignore', 'abort', 'fail', 'rollback']) {
      assert.equal(parse(`INSERT OR ${or.toUpperCase()} INTO t (a) VALUES (1)`).or, or);
    }
    const r = parse("REPLACE INTO device_state (device_id, updated_at) VALUES (?, strftime('%s', 'now'))");
    assert.equal(r.kind, 'insert');
    assert.equal(r.or, 'replace');
    assert.deepEqual(r.columns, ['device_id', 'updated_at']);
    assert.equal(r.values[0][1].kind, 'call');
    assert.equal(r.values[0][1].name, 'strftime');
    const d = parse('INSERT INTO t DEFAULT VALUES');
    assert.equal(d.defaultValues, true);
    assert.equal(d.values, undefined);
    assert.equal(d.query, undefined);
    assert.equal(parse('INSERT INTO t (a) VALUES (1)').or, undefined);
  });

  it('parses ON CONFLICT ... DO NOTHING / DO UPDATE SET with excluded.col, and RETURNING', () => {
    const s = parse(
      'INSERT INTO device_state (device_id, value, updated_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (device_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at ' +
        'WHERE excluded.updated_at > device_state.updated_at RETURNING device_id, value AS v',
    );
    assert.equal(s.upsert.length, 1);
    const [u] = s.upsert;
    assert.equal(u.action, 'update');
    assert.deepEqual(strip(u.target), [{ expr: { kind: 'column', name: 'device_id' } }]);
    assert.deepEqual(strip(u.set[0]), {
      column: 'value',
      value: { kind: 'column', table: 'excluded', name: 'value' },
    });
    assert.deepEqual(strip(u.where.left), { kind: 'column', table: 'excluded', name: 'updated_at' });
    assert.deepEqual(
      s.returning.map((it) => [it.expr.name, it.alias]),
      [
        ['device_id', undefined],
        ['value', 'v'],
      ],
    );

    const nothing = parse('INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING');
    assert.deepEqual(strip(nothing.upsert), [{ kind: 'upsert', target: [], action: 'nothing', set: [] }]);
    const partial = parse(
      'INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) WHERE b > 0 DO NOTHING ON CONFLICT DO UPDATE SET b = 3',
    );
    assert.deepEqual(
      partial.upsert.map((x) => [x.action, x.target.length, x.targetWhere?.kind]),
      [
        ['nothing', 1, 'binary'],
        ['update', 0, undefined],
      ],
    );
    // INSERT ... SELECT: the select ends before ON CONFLICT and RETURNING
    const sel = parse('INSERT INTO t SELECT a, b FROM u ON CONFLICT DO NOTHING RETURNING *');
    assert.equal(sel.query.body.from.name, 'u');
    assert.equal(sel.query.body.from.alias, undefined);
    assert.equal(sel.upsert[0].action, 'nothing');
    assert.deepEqual(strip(sel.returning), [{ kind: 'star' }]);
    const noFrom = parse('INSERT INTO t SELECT 1, 2 RETURNING id');
    assert.equal(noFrom.query.body.items[1].alias, undefined);
    assert.equal(noFrom.returning[0].expr.name, 'id');
    assert.equal(parse('INSERT INTO t DEFAULT VALUES RETURNING *').returning.length, 1);
  });

  it('parses DELETE ... RETURNING', () => {
    const s = parse('DELETE FROM sensor_readings WHERE synced = 1 AND timestamp < ? RETURNING id, timestamp');
    assert.equal(s.kind, 'delete');
    assert.deepEqual(
      s.returning.map((it) => it.expr.name),
      ['id', 'timestamp'],
    );
    assert.equal(parse('DELETE FROM t').returning, undefined);
  });

  it('parses BEGIN, COMMIT, END and ROLLBACK', () => {
    const cases = [
      ['BEGIN', { kind: 'begin' }],
      ['BEGIN TRANSACTION', { kind: 'begin' }],
      ['BEGIN DEFERRED', { kind: 'begin', mode: 'deferred' }],
      ['BEGIN IMMEDIATE TRANSACTION', { kind: 'begin', mode: 'immediate' }],
      ['begin exclusive transaction;', { kind: 'begin', mode: 'exclusive' }],
      ['COMMIT', { kind: 'commit' }],
      ['COMMIT TRANSACTION', { kind: 'commit' }],
      ['END', { kind: 'commit' }],
      ['END TRANSACTION', { kind: 'commit' }],
      ['ROLLBACK', { kind: 'rollback' }],
      ['ROLLBACK TRANSACTION', { kind: 'rollback' }],
    ];
    for (const [sql, tree] of cases) assert.deepEqual(strip(parse(sql)), tree, sql);
    // CASE ... END is still CASE
    assert.equal(parse('SELECT CASE WHEN a THEN 1 END FROM t').body.items[0].expr.kind, 'case');
  });
});

describe('sql: scripts', () => {
  const SCRIPT = `-- schema
${SENSOR_READINGS};
CREATE INDEX IF NOT EXISTS idx_machine_timestamp ON sensor_readings(machine_id, timestamp DESC);
;
BEGIN IMMEDIATE;
INSERT INTO sensor_readings (sensor_id, value) VALUES (?, ?);
/* flag them */ UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?;
COMMIT;`;

  it('parseScript gives one tree per statement; empty statements and a trailing ";" are fine', () => {
    const stmts = parseScript(SCRIPT);
    assert.deepEqual(
      stmts.map((s) => s.kind),
      ['createTable', 'createIndex', 'begin', 'insert', 'update', 'commit'],
    );
    // each statement numbers its bare ? from 1, as SQLite prepares each one alone
    assert.deepEqual(
      stmts[3].values[0].map((p) => p.index),
      [1, 2],
    );
    assert.equal(stmts[4].where.right.right.index, 1);
    assert.deepEqual(parseScript(''), []);
    assert.deepEqual(parseScript(' ; ;\n-- nothing\n'), []);
    assert.deepEqual(
      parseScript('SELECT 1').map((s) => s.kind),
      ['query'],
    );
    assert.deepEqual(strip(parseScript(SCRIPT)[4]), strip(parse(SCRIPT.split(';')[5])));
  });

  it('points at a mistake by its line and column in the whole script', () => {
    assert.throws(
      () => parseScript('BEGIN;\nINSERT INTO t (a) VALUES (1);\nUPDATE t SET a = 2 WHER a = 1;\nCOMMIT;'),
      (err) => {
        assert.match(err.message, /Expected ";" or the end of the script, found "WHER" at line 3, column 20/);
        assert.match(err.message, /Did you mean WHERE instead of "WHER"\?/);
        return true;
      },
    );
    assert.throws(() => parseScript('SELECT 1;\n\n  SELEKT 2'), /line 3, column 3[\s\S]*Did you mean SELECT/);
  });

  it('parse takes one statement and one trailing ";"', () => {
    assert.equal(parse('COMMIT;').kind, 'commit');
    parseError(
      'SELECT 1; SELECT 2',
      /Expected the end of the text after ";", found "SELECT" at line 1, column 11/,
      /Send one statement at a time/,
    );
  });

  it('parseScriptCached gives one frozen array of frozen trees per text', () => {
    const a = parseScriptCached(SCRIPT);
    assert.equal(parseScriptCached(SCRIPT), a);
    assert.ok(Object.isFrozen(a));
    const walk = (node) => [
      node,
      ...Object.values(node)
        .filter((v) => v !== null && typeof v === 'object')
        .flatMap(walk),
    ];
    for (const node of walk(a)) assert.ok(Object.isFrozen(node));
    assert.deepEqual(strip(a), strip(parseScript(SCRIPT)));
    // statements and scripts are kept apart: the same text is one tree for parseCached
    assert.equal(parseCached('BEGIN').kind, 'begin');
    assert.deepEqual(
      parseScriptCached('BEGIN').map((s) => s.kind),
      ['begin'],
    );
    for (let i = 0; i < 2; i++)
      assert.throws(() => parseScriptCached('BEGIN; COMMIT x'), /line 1, column 15/);
  });
});

describe('sql: printing the SQLite statements', () => {
  const STATEMENTS = [
    SENSOR_READINGS,
    'CREATE TABLE t(a, b)',
    'CREATE TABLE t (x DOUBLE PRECISION, y UNSIGNED BIG INT, z VARCHAR(20), d DECIMAL(10, 2), n NUMERIC(+3, -1), at TIMESTAMP WITH TIME ZONE)',
    'CREATE TABLE t (a TEXT CONSTRAINT nn NOT NULL ON CONFLICT REPLACE COLLATE NOCASE UNIQUE ON CONFLICT IGNORE, b INT REFERENCES p (id) ON DELETE CASCADE ON UPDATE NO ACTION MATCH SIMPLE NOT DEFERRABLE, c DEFAULT CURRENT_TIMESTAMP, d NULL PRIMARY KEY ASC ON CONFLICT ROLLBACK AUTOINCREMENT, e INT DEFAULT -1 DEFAULT +2.5 DEFAULT \'it\'\'s\' DEFAULT TRUE DEFAULT (e + 1) CHECK (e IS NOT NULL), "my col" DEFAULT "select")',
    'CREATE TABLE rooms (id INTEGER, floor INTEGER, CONSTRAINT floor_range CHECK (floor BETWEEN 1 AND 50), CONSTRAINT pk PRIMARY KEY (id AUTOINCREMENT) ON CONFLICT ABORT, UNIQUE (floor COLLATE NOCASE DESC), FOREIGN KEY (floor) REFERENCES floors ON DELETE RESTRICT DEFERRABLE INITIALLY IMMEDIATE) WITHOUT ROWID, STRICT',
    "CREATE TABLE IF NOT EXISTS m (time TIMESTAMP, sensor_id TAG, line TEXT TAG) WITH (partition = '1d', retention = '30 days') STRICT",
    'CREATE INDEX IF NOT EXISTS idx_machine_timestamp ON sensor_readings(machine_id, timestamp DESC)',
    'CREATE UNIQUE INDEX i ON t (lower(name) COLLATE NOCASE, a + b ASC) WHERE a IS NOT NULL',
    'DROP INDEX IF EXISTS i',
    'DROP INDEX i',
    'UPDATE safety_alerts SET acknowledged = 1, acknowledged_by = ?1, acknowledged_at = ?2 WHERE id = ?3',
    'UPDATE sensor_readings SET synced = 1 WHERE synced = 0 AND timestamp <= ?',
    'UPDATE OR ROLLBACK t SET "select" = NULL RETURNING *, a AS b, t.*',
    "INSERT INTO sensor_readings (sensor_id, created_at) VALUES ('s1', strftime('%s', 'now'))",
    'INSERT OR IGNORE INTO t (a) VALUES (1)',
    'REPLACE INTO t VALUES (1, 2)',
    'INSERT INTO t (a) DEFAULT VALUES RETURNING *',
    'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) WHERE value > 0 DO UPDATE SET value = excluded.value WHERE excluded.value IS NOT NULL ON CONFLICT DO NOTHING RETURNING key AS k',
    'INSERT INTO t SELECT * FROM u WHERE time > 5 ON CONFLICT (a COLLATE BINARY DESC) DO NOTHING',
    'DELETE FROM t WHERE time < 5 RETURNING time, value AS v',
    'BEGIN',
    'BEGIN EXCLUSIVE TRANSACTION',
    'COMMIT TRANSACTION',
    'END',
    'ROLLBACK',
    'EXPLAIN UPDATE t SET a = 1',
  ];

  it('parse(print(tree)) is the tree, and printing is deterministic', () => {
    for (const sql of STATEMENTS) {
      const tree = parse(sql);
      const text = printStatement(tree);
      assert.deepEqual(strip(parse(text)), strip(tree), `${sql}\n${text}`);
      assert.equal(printStatement(parse(text)), text);
    }
  });

  it('prints one canonical spelling', () => {
    const cases = [
      ['REPLACE INTO t VALUES (1)', 'INSERT OR REPLACE INTO t VALUES (1)'],
      ['END TRANSACTION', 'COMMIT'],
      ['begin immediate transaction', 'BEGIN IMMEDIATE'],
      ['CREATE TABLE t (a int default (1))', 'CREATE TABLE t (a INT DEFAULT 1)'],
      ['CREATE TABLE t (a varchar ( 20 ) not null)', 'CREATE TABLE t (a VARCHAR(20) NOT NULL)'],
      [
        "CREATE TABLE t (c INTEGER DEFAULT (strftime('%s', 'now')))",
        "CREATE TABLE t (c INTEGER DEFAULT (strftime('%s', 'now')))",
      ],
      [
        'CREATE TABLE t (a INT, PRIMARY KEY (a) UNIQUE (a))',
        'CREATE TABLE t (a INT, PRIMARY KEY (a), UNIQUE (a))',
      ],
    ];
    for (const [sql, text] of cases) assert.equal(printStatement(parse(sql)), text);
  });
});

describe('sql: SQLite mistakes point at the text', () => {
  it('says what was expected and where', () => {
    parseError(
      'CREATE TABLE t (a INTEGER DEFAULT)',
      /Expected a default value \(a number, a string, NULL, CURRENT_TIMESTAMP or an expression in parentheses\), found "\)" at line 1, column 34/,
    );
    parseError(
      'UPDATE t SET WHERE x = 1',
      /Expected an assignment such as column = value, found "WHERE" at line 1, column 14/,
    );
    parseError(
      'BEGIN TRANSACTION foo',
      /Expected the end of the statement, found "foo" at line 1, column 19/,
    );
    parseError('UPDATE t SET a 1', /Expected "=" and a new value for a, found "1" at line 1, column 16/);
    parseError('UPDATE t a = 1', /Expected SET after the table name, found "a" at line 1, column 10/);
    parseError(
      'INSERT OR MERGE INTO t VALUES (1)',
      /Expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after INSERT OR, found "MERGE"/,
    );
    parseError(
      'INSERT INTO t VALUES (1) ON CONFLICT DO',
      /Expected NOTHING or UPDATE after DO, found the end of the statement/,
    );
    parseError(
      'INSERT INTO t VALUES (1) ON CONFLICT (a) UPDATE',
      /Expected DO NOTHING or DO UPDATE after ON CONFLICT, found "UPDATE"/,
    );
    parseError('INSERT INTO t DEFAULT (1)', /Expected VALUES after DEFAULT, found "\("/);
    parseError(
      'CREATE TABLE t (a INT DEFAULT strftime(1))',
      /A function call after DEFAULT must be in parentheses at line 1, column 31/,
      /Write DEFAULT \(strftime\(\.\.\.\)\)/,
    );
    parseError(
      'CREATE TABLE t (a INT PRIMARY)',
      /Expected KEY after PRIMARY, found "\)" at line 1, column 30/,
    );
    parseError(
      'CREATE TABLE t (a INT NOT NULL ON CONFLICT MERGE)',
      /Expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after ON CONFLICT, found "MERGE"/,
    );
    parseError('CREATE TABLE t (a INT CHECK a > 0)', /Expected "\(" and a condition after CHECK, found "a"/);
    parseError('CREATE TABLE t (a INT CONSTRAINT c)', /Expected a constraint after CONSTRAINT c/);
    parseError('CREATE TABLE t (a VARCHAR(n))', /Expected a number in the size of the type, found "n"/);
    parseError(
      'CREATE TABLE t (a INT REFERENCES p ON DELETE EXPLODE)',
      /Expected SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION, found "EXPLODE"/,
    );
    parseError(
      'CREATE TABLE t (a INT REFERENCES p ON DELETE CASCADE ON DELETE RESTRICT)',
      /ON DELETE is given twice at line 1, column 54/,
    );
    parseError(
      'CREATE TABLE t (a INT) WITHOUT ROWID,',
      /Expected WITHOUT ROWID or STRICT after ",", found the end/,
    );
    parseError('CREATE TABLE t (a INT) WITHOUT OID', /Expected ROWID after WITHOUT, found "OID"/);
    parseError('CREATE INDEX i t (a)', /Expected ON and the table to index, found "t"/);
    parseError(
      'CREATE SEQUENCE s START 1',
      /Expected TABLE, INDEX or VIEW after CREATE, found "SEQUENCE" at line 1, column 8/,
    );
    parseError('DROP SEQUENCE s', /Expected TABLE, INDEX or VIEW after DROP, found "SEQUENCE"/);
    parseError('CREATE VIEW v (a AS SELECT 1', /Expected "\)" to close the view's columns, found "AS"/);
    parseError('CREATE VIEW v SELECT 1', /Expected AS and the SELECT of the view, found "SELECT"/);
  });

  it('suggests the keyword for a near miss', () => {
    parseError(
      'CREATE TABLE t (a INTEGER DEFALT 0)',
      /Expected a column constraint \(NOT NULL, DEFAULT, PRIMARY KEY, UNIQUE, CHECK, COLLATE, REFERENCES\), "," or "\)", found "0" at line 1, column 34/,
      /Did you mean DEFAULT instead of "DEFALT"\?/,
    );
    parseError('UPDAT t SET a = 1', /Expected a statement[\s\S]*Did you mean UPDATE instead of "UPDAT"\?/);
    parseError('ROLBACK', /Did you mean ROLLBACK instead of "ROLBACK"\?/);
  });

  it('wants the columns before the table constraints', () => {
    parseError(
      'CREATE TABLE t (PRIMARY KEY (a))',
      /Expected a column definition, found "PRIMARY" at line 1, column 17/,
      /columns before its constraints/,
    );
    parseError(
      'CREATE TABLE t (a INT,\n  PRIMARY KEY (a),\n  b INT)',
      /Expected a table constraint \(PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY\), found "b" at line 3, column 3/,
      /columns before its constraints/,
    );
  });
});

describe('sql: the binder refuses what it cannot do yet', () => {
  const refused = [
    ['UPDATE OR REPLACE readings SET value = ?', /UPDATE OR REPLACE is not supported at line 1, column 1/],
    ['CREATE INDEX i ON readings (time)', /CREATE INDEX works on tables declared as SQLite declares them/],
    [
      'INSERT OR IGNORE INTO readings (time, value) VALUES (1, 2)',
      /INSERT OR IGNORE works on tables declared as SQLite declares them/,
    ],
    [
      'REPLACE INTO readings (time, value) VALUES (1, 2)',
      /INSERT OR REPLACE works on tables declared as SQLite declares them/,
    ],
    [
      'INSERT INTO readings DEFAULT VALUES',
      /INSERT \.\.\. DEFAULT VALUES works on tables declared as SQLite declares them/,
    ],
    [
      'INSERT INTO readings (time, value) VALUES (1, 2) ON CONFLICT DO NOTHING',
      /ON CONFLICT in INSERT works on tables declared as SQLite declares them .* at line 1, column 50/,
    ],
    [
      'INSERT INTO readings (time, value) VALUES (1, 2) RETURNING *',
      /RETURNING in INSERT works on tables declared as SQLite declares them .* at line 1, column 60/,
    ],
    [
      'CREATE TABLE t (sensor_id TAG, v REAL NOT NULL)',
      /The constraint NOT NULL on column "v" is not supported yet at line 1, column 39/,
    ],
    ['CREATE TABLE t (sensor_id TAG, v REAL DEFAULT 0)', /The constraint DEFAULT on column "v"/],
    [
      'CREATE TABLE t (sensor_id TAG, a, b)',
      /Column "a" has no type; a column without a type is not supported yet at line 1, column 32/,
    ],
    [
      'CREATE TABLE t (sensor_id TAG, v REAL, CONSTRAINT positive CHECK (v > 0))',
      /The table constraint CHECK is not supported yet at line 1, column 40/,
    ],
    [
      'CREATE TABLE t (v REAL) WITHOUT ROWID',
      /CREATE TABLE \.\.\. WITHOUT ROWID is not supported: Helios numbers every row/,
    ],
    ['CREATE TABLE t (sensor_id TAG, v REAL) STRICT', /CREATE TABLE \.\.\. STRICT is not supported yet/],
    [
      "EXPLAIN UPDATE readings SET sensor_id = 'x'",
      /UPDATE cannot change the tag "sensor_id": tags name the series a row belongs to at line 1, column 29/,
    ],
  ];

  for (const [sql, message] of refused) {
    it(sql.length > 70 ? `${sql.slice(0, 67)}...` : sql, async () => {
      const t = new MemoryTarget();
      await t.write('readings', [{ time: 1, tags: { sensor_id: 's' }, fields: { value: 1 } }]);
      await assert.rejects(runQuery(t, sql, [1]), (err) => {
        assert.equal(err.name, 'SqlError');
        assert.equal(err.code, 'HELIOS_SQL_UNSUPPORTED');
        assert.match(err.message, message);
        return true;
      });
      // nothing was created or changed
      assert.deepEqual(t.tables(), ['readings']);
    });
  }

  it('still creates the tables it could create before', async () => {
    const t = new MemoryTarget();
    await runQuery(
      t,
      "CREATE TABLE m (time TIMESTAMP, sensor_id TAG, line TEXT TAG, v DOUBLE) WITH (retention = '30 days')",
    );
    const r = await runQuery(t, 'DESCRIBE m');
    assert.deepEqual(
      r.rows.map((row) => row.column),
      ['time', 'sensor_id', 'line', 'v'],
    );
  });
});
