// Builds roster (and a DNS server for domain verification on 127.0.0.1),
// creates a fresh SQLite database with an owner, an admin, a
// support person and two API keys through the command line (and a workspace
// of its own per project), and serves it on a free port until the suite
// ends. Tests read where it is from the environment.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { admin, loneOwner, owner, projects, support } from './tests/people';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function waitFor(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`roster serve did not answer ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-e2e-'));
  const bin = join(dir, 'roster');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
  const dbURL = `sqlite:${join(dir, 'roster.db')}`;
  const cli = (...args: string[]) => execFileSync(bin, [...args, '--database-url', dbURL], { encoding: 'utf8' });

  cli('bootstrap', '--workspace', 'E2E', '--email', owner.email, '--password', owner.password);
  cli('staff', 'add', '--workspace', 'E2E', '--email', support.email, '--role', 'support', '--password', support.password);
  cli('staff', 'add', '--workspace', 'E2E', '--email', admin.email, '--role', 'admin', '--password', admin.password);
  for (const project of projects) {
    const lone = loneOwner(project);
    cli('bootstrap', '--workspace', lone.workspace, '--email', lone.email, '--password', lone.password);
  }
  const key = (mode: string) => JSON.parse(cli('apikey', 'create', '--workspace', 'E2E', '--mode', mode, '--kind', 'secret', '--name', 'e2e seed', '--json')).secret;
  process.env.ROSTER_E2E_LIVE_KEY = key('live');
  process.env.ROSTER_E2E_TEST_KEY = key('test');

  // A DNS server on 127.0.0.1 for domain verification: it answers the TXT
  // records of the files the specs write into ROSTER_E2E_DNS_DIR.
  const dnsDir = join(dir, 'dns');
  mkdirSync(dnsDir);
  const dnsBin = join(dir, 'roster-dnstest');
  execFileSync('go', ['build', '-o', dnsBin, './dnstxt/dnstest/cmd/roster-dnstest'], { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
  const dns = spawn(dnsBin, ['--dir', dnsDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dnsAddr = await new Promise<string>((ok, fail) => {
    dns.stdout!.once('data', (b: Buffer) => ok(b.toString().trim()));
    dns.once('exit', (code) => fail(new Error(`roster-dnstest exited ${code}`)));
  });
  process.env.ROSTER_E2E_DNS_DIR = dnsDir;

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The server's request log goes to e2e/server.log, to read when a test fails.
  const log = openSync(resolve(__dirname, 'server.log'), 'w');
  // Webhooks may reach the receivers the specs start on 127.0.0.1.
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--database-url', dbURL, '--rate-limit', '0'], {
    stdio: ['ignore', log, log],
    env: { ...process.env, ROSTER_WEBHOOK_ALLOW_NETS: '127.0.0.0/8', ROSTER_DNS_SERVER: dnsAddr },
  });
  await waitFor(`${base}/healthz`, Date.now() + 20_000);
  process.env.ROSTER_E2E_URL = base;

  return async () => {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    dns.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
}
