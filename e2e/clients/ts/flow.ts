// Runs the flow of docs/api.md (create an account, invite, patch
// permissions, change the role by slug, list with cursors, delete) through
// openapi-fetch with the types openapi-typescript generated, with its
// default options, into roster.gen.ts from the served /v1/openapi.json.
// clients_test.go generates them, compiles this with tsc and runs it with
// ROSTER_URL (the document's servers entry), ROSTER_KEY (a live secret key)
// and ROSTER_RUN (what makes this run's names and idempotency keys its own).
import { deepStrictEqual } from 'node:assert/strict';
import createClient from 'openapi-fetch';

import type { components, paths } from './roster.gen.js';

type Membership = components['schemas']['AccountMembership'];

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const run = env('ROSTER_RUN');
const client = createClient<paths>({ baseUrl: env('ROSTER_URL'), headers: { Authorization: `Bearer ${env('ROSTER_KEY')}` } });

function expect(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(what);
}

function same<T>(got: T, want: T, what: string): void {
  deepStrictEqual(got, want, what);
}

// The account, and the workspace's first staff member linked as its owner.
async function createAccount(name: string): Promise<string> {
  const { data, error, response } = await client.POST('/v1/accounts', { body: { name } });
  expect(data, `create account: ${response.status} ${JSON.stringify(error)}`);
  expect(response.headers.get('Request-Id'), 'create account: no Request-Id header');
  same(data.data.name, name, 'create account: name');
  return data.data.id;
}

async function linkOwner(account: string): Promise<string> {
  const staff = await client.GET('/v1/workspace-memberships');
  expect(staff.data?.data[0], `list staff: ${staff.response.status}`);
  const { data, response } = await client.POST('/v1/accounts/{account_id}/memberships', {
    params: { path: { account_id: account } },
    body: { workspace_membership_id: staff.data.data[0].id, role: 'owner' },
  });
  expect(data && response.status === 201, `link the owner: ${response.status}`);
  same([data.data.status, data.data.role.slug], ['active', 'owner'], 'link the owner');
  return data.data.id;
}

// Bob, invited with an Idempotency-Key; the same request again replays it.
async function invite(account: string): Promise<string> {
  const request = {
    params: { query: { account_id: account }, header: { 'Idempotency-Key': `invite-bob-${run}` } },
    body: { email: 'bob@example.com', name: 'Bob', role: 'member', permissions: ['billing.manage'] },
  };
  const first = await client.POST('/v1/account-memberships', request);
  expect(first.data && first.response.status === 201, `invite: ${first.response.status} ${JSON.stringify(first.error)}`);
  const m: Membership = first.data.data;
  same(m.status, 'invited', 'invite: status');
  expect(m.invitation?.accept_url, 'invite: no accept_url');
  same(m.effective_permissions, ['billing.manage', 'billing.read', 'members.read'], 'invite: effective_permissions');
  same(first.response.headers.get('ETag'), '"1"', 'invite: ETag');

  const again = await client.POST('/v1/account-memberships', request);
  expect(again.data?.data.id === m.id, `invite again: ${again.response.status}`);
  same(again.response.headers.get('Idempotent-Replayed'), 'true', 'invite again: Idempotent-Replayed');
  return m.id;
}

// Carol, invited without an email: send_email is optional (true when absent).
async function inviteQuietly(account: string): Promise<string> {
  const { data, response } = await client.POST('/v1/account-memberships', {
    params: { query: { account_id: account } },
    body: { email: 'carol@example.com', send_email: false },
  });
  expect(data, `invite without email: ${response.status}`);
  same(data.data.role.slug, 'member', 'invite without email: the default role');
  return data.data.id;
}

// Bob's permissions and role (by slug) patched with the ETag read; the old
// ETag then no longer matches.
async function changeRole(id: string): Promise<void> {
  const got = await client.GET('/v1/account-memberships/{id}', { params: { path: { id } } });
  expect(got.data, `get: ${got.response.status}`);
  expect(got.data.data.invitation && got.data.data.invitation.accept_url === undefined, 'get: accept_url shown again');
  const etag = got.response.headers.get('ETag') ?? '';
  const patched = await client.PATCH('/v1/account-memberships/{id}', {
    params: { path: { id }, header: { 'If-Match': etag } },
    body: { add_permissions: ['members.manage'], remove_permissions: ['billing.manage'], role: 'admin' },
  });
  expect(patched.data, `patch: ${patched.response.status} ${JSON.stringify(patched.error)}`);
  same(patched.data.data.role.slug, 'admin', 'patch: role');
  same(patched.data.data.permissions, ['members.manage'], 'patch: permissions');
  same(patched.response.headers.get('ETag'), '"2"', 'patch: ETag');

  const stale = await client.PATCH('/v1/account-memberships/{id}', {
    params: { path: { id }, header: { 'If-Match': etag } },
    body: { role: 'member' },
  });
  same(stale.response.status, 412, 'patch with a stale ETag: status');
  same(stale.error?.error.type, 'precondition_failed', 'patch with a stale ETag: error type');
}

// The account's memberships a page of one at a time, with no status
// filter, then the invited ones.
async function listPages(account: string, want: string[]): Promise<void> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    expect(page <= want.length, 'list: more pages than memberships');
    const query = cursor === undefined ? { account_id: account, limit: 1 } : { account_id: account, limit: 1, starting_after: cursor };
    const { data, response } = await client.GET('/v1/account-memberships', { params: { query } });
    expect(data, `list: ${response.status}`);
    ids.push(...data.data.map((m) => m.id));
    if (!data.has_more) break;
    cursor = data.next_cursor;
  }
  same(ids, want, 'list with cursors');

  const invited = await client.GET('/v1/account-memberships', { params: { query: { account_id: account, status: 'invited' } } });
  same(invited.data?.data.length, 2, 'list invited: count');
}

// Carol's membership deleted with its ETag; reading it then is 404.
async function remove(id: string): Promise<void> {
  const got = await client.GET('/v1/account-memberships/{id}', { params: { path: { id } } });
  const etag = got.response.headers.get('ETag') ?? '';
  const deleted = await client.DELETE('/v1/account-memberships/{id}', { params: { path: { id }, header: { 'If-Match': etag } } });
  expect(deleted.data?.success, `delete: ${deleted.response.status}`);
  const gone = await client.GET('/v1/account-memberships/{id}', { params: { path: { id } } });
  same(gone.response.status, 404, 'get after delete: status');
  same(gone.error?.error.type, 'membership.not_found', 'get after delete: error type');
}

// Bob's newest event: the role change, with the role before and after it.
async function readEvents(id: string): Promise<void> {
  const { data, response } = await client.GET('/v1/events', { params: { query: { membership_id: id } } });
  const ev = data?.data[0];
  expect(ev, `events: ${response.status}`);
  same(ev.type, 'membership.updated', 'newest event: type');
  same(ev.actor.type, 'api_key', 'newest event: actor');
  const after = ev.data['role'] as { slug?: unknown } | undefined;
  same(after?.slug, 'admin', 'newest event: data.role.slug');
  const before = ev.previous_attributes?.['role'] as { slug?: unknown } | undefined;
  same(before?.slug, 'member', 'newest event: previous_attributes.role.slug');
  expect(data.data.some((e) => e.type === 'membership.created'), 'events: no membership.created');
}

// The account deleted; reading it then is 404.
async function deleteAccount(id: string): Promise<void> {
  const deleted = await client.DELETE('/v1/accounts/{id}', { params: { path: { id } } });
  expect(deleted.data?.success, `delete account: ${deleted.response.status}`);
  const gone = await client.GET('/v1/accounts/{id}', { params: { path: { id } } });
  same(gone.error?.error.type, 'account.not_found', 'get account after delete: error type');
}

const account = await createAccount(`Globex ${run}`);
const owner = await linkOwner(account);
const bob = await invite(account);
const carol = await inviteQuietly(account);
await changeRole(bob);
await listPages(account, [owner, bob, carol]);
await remove(carol);
await readEvents(bob);
await deleteAccount(account);
console.log('tsflow: the generated TypeScript client ran the docs/api.md flow');
