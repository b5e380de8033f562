// The admin routes under Node-RED's adminAuth (issue #17), in a real Node-RED (the CLI, red.js) with
// httpAdminRoot moved to /admin: no token 401, a read-only user 403 for writes and panel actions,
// an admin user allowed; nothing is left at the old root.
const assert = require('node:assert/strict');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { prepareUserDir, startNodeRed } = require('../scripts/node-red-runner');
const { tempDir } = require('./helpers');

const hash = (pw) => bcrypt.hashSync(pw, 8);

async function token(base, username, password) {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: 'node-red-editor',
      grant_type: 'password',
      scope: '',
      username,
      password,
    }),
  });
  assert.equal(res.status, 200, `login of ${username}`);
  return (await res.json()).access_token;
}

describe('admin API permissions (adminAuth, httpAdminRoot /admin, real Node-RED)', function () {
  this.timeout(60000);
  let runtime;
  let admin;
  let base;
  let viewerToken;
  let adminToken;

  before(async () => {
    const userDir = tempDir('helios-auth-');
    const flows = [
      { id: 'f1', type: 'tab', label: 'auth' },
      { id: 'db1', type: 'helios-db', name: 'plant', dir: path.join(userDir, 'data'), durability: 'batch' },
      { id: 'q1', z: 'f1', type: 'helios-query', db: 'db1', sql: 'SELECT 1', x: 200, y: 100, wires: [[]] },
    ];
    prepareUserDir(userDir, {
      flows,
      settings: {
        httpAdminRoot: '/admin',
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: hash('admin-pw'), permissions: '*' },
            { username: 'viewer', password: hash('viewer-pw'), permissions: 'read' },
          ],
        },
      },
    });
    runtime = await startNodeRed(userDir);
    base = `${new URL(runtime.url).origin}/admin`;
    admin = `${base}/helios`;
    viewerToken = await token(base, 'viewer', 'viewer-pw');
    adminToken = await token(base, 'admin', 'admin-pw');
  });

  after(async () => {
    await runtime?.stop();
  });

  const call = (route, { tokenOf, body } = {}) =>
    fetch(`${admin}${route}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        ...(tokenOf ? { Authorization: `Bearer ${tokenOf}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('refuses every route without a token (401)', async () => {
    for (const [route, body] of [
      ['/databases', undefined],
      ['/databases/db1', undefined],
      ['/vocabulary', undefined],
      ['/databases/db1/query', { sql: 'SELECT 1' }],
      ['/databases/db1/download', { sql: 'SELECT 1' }],
      ['/databases/db1/tables/t/export', undefined],
      ['/panels/sync', undefined],
      ['/panels/sync/retry', {}],
    ]) {
      const res = await call(route, { body });
      assert.equal(res.status, 401, `${body ? 'POST' : 'GET'} ${route}`);
    }
  });

  it('a read-only user reads and runs SELECTs, and gets 403 for a statement that writes and for panel actions', async () => {
    const list = await call('/databases', { tokenOf: viewerToken });
    assert.equal(list.status, 200);
    const body = await list.json();
    assert.equal(body.databases[0].id, 'db1');
    const select = await call('/databases/db1/query', { tokenOf: viewerToken, body: { sql: 'SHOW TABLES' } });
    assert.equal(select.status, 200);
    const insert = await call('/databases/db1/query', {
      tokenOf: viewerToken,
      body: { sql: 'INSERT INTO t (time, v) VALUES (1, 2.5)' },
    });
    assert.equal(insert.status, 403);
    assert.match((await insert.json()).message, /needs the helios\.write permission/);
    const drop = await call('/databases/db1/query', { tokenOf: viewerToken, body: { sql: 'DROP TABLE t' } });
    assert.equal(drop.status, 403);
    const action = await call('/panels/sync/retry', { tokenOf: viewerToken, body: {} });
    assert.equal(action.status, 403);
  });

  it('an admin writes through the console, and the read-only user then sees the row', async () => {
    const insert = await call('/databases/db1/query', {
      tokenOf: adminToken,
      body: { sql: 'INSERT INTO t (time, v) VALUES (1764000000000, 2.5)' },
    });
    assert.equal(insert.status, 200, await insert.clone().text());
    assert.equal((await insert.json()).changes, 1);
    const read = await call('/databases/db1/query', {
      tokenOf: viewerToken,
      body: { sql: 'SELECT time, v FROM t' },
    });
    assert.deepEqual((await read.json()).rows, [{ time: 1764000000000, v: 2.5 }]);
    const action = await call('/panels/none/retry', { tokenOf: adminToken, body: {} });
    assert.equal(action.status, 404, 'allowed past the guard; no such panel');
  });

  it('serves nothing at the old root once httpAdminRoot is moved', async () => {
    const res = await fetch(`${new URL(runtime.url).origin}/helios/databases`, {
      headers: { Authorization: `Bearer ${adminToken}` },
    });
    assert.equal(res.status, 404);
  });
});
