// The Webhooks page with a real receiver on 127.0.0.1 (global-setup lets
// the server reach it with ROSTER_WEBHOOK_ALLOW_NETS=127.0.0.0/8).
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page, TestInfo } from '@playwright/test';

import {
  expect, expectAccessible, expectNoOverlaps, loneOwner, noJS, screenshot, signIn, support, switchMode, test, uid,
} from './fixtures';

/** One request the receiver got. */
interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver: records every request and answers with status(). */
class Receiver {
  got: Received[] = [];
  status = 200;
  private server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      this.got.push({ headers: req.headers, body });
      res.writeHead(this.status, { 'Content-Type': 'text/plain' });
      res.end(this.status === 200 ? 'ok' : '<b>receiver failed</b>');
    });
  });

  /** Starts listening on a free port of 127.0.0.1 and returns its URL. */
  start(): Promise<string> {
    return new Promise((ok) => this.server.listen(0, '127.0.0.1', () => {
      const { port } = this.server.address() as { port: number };
      ok(`http://127.0.0.1:${port}`);
    }));
  }

  close(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

/** The v1 signatures of a request, checked against each secret (Standard Webhooks). */
function signedBy(r: Received, secrets: string[]): boolean[] {
  const id = r.headers['webhook-id'] as string;
  const ts = r.headers['webhook-timestamp'] as string;
  const sigs = (r.headers['webhook-signature'] as string).split(' ').map((s) => s.replace(/^v1,/, ''));
  return secrets.map((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const want = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest('base64');
    return sigs.includes(want);
  });
}

/** The newest delivery's row. */
function newestDelivery(page: Page) {
  return page.locator('#deliveries tbody tr').first();
}

/** Reloads the endpoint's page until its newest delivery's cell (status, http) says text. */
async function untilDelivery(page: Page, cell: 'status' | 'http', text: string): Promise<void> {
  await expect(async () => {
    await page.reload();
    await expect(newestDelivery(page).locator(`.delivery-${cell}`)).toContainText(text, { timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

/** What the receiver got for the newest delivery's event. */
async function receivedFor(page: Page, receiver: Receiver): Promise<Received> {
  const id = (await newestDelivery(page).locator('.event-id').textContent())!.trim();
  const r = receiver.got.findLast((g) => g.headers['webhook-id'] === id);
  expect(r, `the receiver got ${id}`).toBeTruthy();
  return r!;
}

/** Clicks an action of the endpoint and waits for what it says. */
async function act(page: Page, button: string, says: string, testInfo: TestInfo): Promise<void> {
  await page.locator('#endpoint').getByRole('button', { name: button, exact: true }).click();
  if (noJS(testInfo)) {
    await expect(page.locator('.flash')).toContainText(says);
  } else {
    // In place, focus on the message that says what happened.
    const notice = page.locator('#endpoint [role="status"]');
    await expect(notice).toContainText(says);
    await expect(notice).toBeFocused();
  }
}

test('adds an endpoint, shows its secret once, delivers, retries, rotates, disables, enables and deletes', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const receiver = new Receiver();
  const base = await receiver.start();
  try {
    const hookURL = `${base}/hooks/${uid()}`;
    await signIn(page, loneOwner(testInfo.project.name));
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();

    // Live mode takes https:// only: the error next to the field, the form kept.
    await page.getByLabel('Endpoint URL').fill(hookURL);
    await page.getByLabel('Description (optional)').fill('e2e receiver');
    await page.getByRole('button', { name: 'Add live endpoint' }).click();
    await expect(page.locator('#field-url-error')).toHaveText(/must be https:\/\/ in live mode/);
    await expect(page.getByLabel('Endpoint URL')).toHaveValue(hookURL);
    await expect(page.getByLabel('Description (optional)')).toHaveValue('e2e receiver');
    if (!noJS(testInfo)) await expect(page.locator('#add-endpoint [role="alert"]')).toBeFocused();
    await expectAccessible(page, testInfo);

    // Test mode takes http://; nothing ticked is an error next to the checklist.
    await switchMode(page, 'test');
    await expect(page).toHaveURL(/\/webhooks$/);
    await page.getByLabel('Endpoint URL').fill(hookURL);
    await page.getByLabel('All events').uncheck();
    await page.getByRole('button', { name: 'Add test endpoint' }).click();
    await expect(page.locator('#field-enabled_events-error')).toHaveText('Choose at least one event, or All events.');
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await expectNoOverlaps(page);
    }
    await screenshot(page, testInfo, 'webhooks');
    await expect(page.getByLabel('Endpoint URL')).toHaveValue(hookURL);
    await page.getByLabel('membership.created', { exact: true }).check();
    await page.getByLabel('membership.deleted', { exact: true }).check();
    await page.getByRole('button', { name: 'Add test endpoint' }).click();

    // The secret, once, with a copy button.
    await expect(page.getByRole('heading', { name: "The endpoint's signing secret" })).toBeVisible();
    const secret = await page.getByLabel(`Signing secret of ${hookURL}`).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    if (!noJS(testInfo)) {
      await page.getByRole('button', { name: 'Copy' }).click();
      await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
    }
    await expect(page.locator('.endpoint-facts')).toContainText('membership.created, membership.deleted');
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await expectNoOverlaps(page);
    }
    await screenshot(page, testInfo, 'webhook-endpoint');
    await page.reload();
    await expect(page.locator('#new-secret')).toHaveCount(0);
    const endpointPage = page.url();

    // A test event the receiver refuses, then Retry now once it accepts.
    receiver.status = 500;
    await act(page, 'Send test event', 'Queued a test event', testInfo);
    await untilDelivery(page, 'http', '500');
    await expect(newestDelivery(page)).toContainText('webhook_endpoint.test');
    await newestDelivery(page).locator('summary').click();
    await expect(newestDelivery(page).locator('pre')).toHaveText('<b>receiver failed</b>');
    receiver.status = 200;
    await newestDelivery(page).getByRole('button', { name: /^Retry now/ }).click();
    if (!noJS(testInfo)) await expect(page.locator('#endpoint [role="status"]')).toBeFocused();
    await expect(page.locator('main')).toContainText('Retrying the delivery');
    await untilDelivery(page, 'status', 'succeeded');
    await expect(newestDelivery(page).locator('.delivery-http')).toHaveText('200');
    const first = await receivedFor(page, receiver);
    expect(JSON.parse(first.body).type).toBe('webhook_endpoint.test');
    expect(signedBy(first, [secret])).toEqual([true]);
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await expectNoOverlaps(page);
    }
    await expectAccessible(page, testInfo);
    await screenshot(page, testInfo, 'webhook-deliveries');

    // Rotate: the new secret once, the old one signing beside it.
    await expect(page.getByLabel('The old secret keeps signing for')).toHaveValue('24h');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await expect(page.getByRole('heading', { name: "The endpoint's new signing secret" })).toBeVisible();
    await expect(page.locator('#endpoint')).toContainText('The old secret keeps signing beside it until');
    const rotated = await page.locator('#new-secret').inputValue();
    expect(rotated).not.toBe(secret);
    await act(page, 'Send test event', 'Queued a test event', testInfo);
    await untilDelivery(page, 'status', 'succeeded');
    expect(signedBy(await receivedFor(page, receiver), [rotated, secret])).toEqual([true, true]);
    await expect(page.locator('.old-secrets')).toContainText('until ');

    // Disable: no test event then; enable again.
    await act(page, 'Disable', 'Disabled the endpoint', testInfo);
    await expect(page.locator('.endpoint-facts')).toContainText('Disabled');
    await expect(page.locator('.endpoint-facts')).toContainText('by hand');
    await expect(page.getByRole('button', { name: 'Send test event' })).toBeDisabled();
    await act(page, 'Enable', 'Enabled the endpoint', testInfo);
    await expect(page.getByRole('button', { name: 'Send test event' })).toBeEnabled();

    // The list shows it; delete asks first.
    await page.goto('/webhooks');
    const row = page.locator('tbody tr', { hasText: hookURL });
    await expect(row).toContainText('Enabled');
    await expectNoOverlaps(page);
    await row.getByRole('link', { name: hookURL }).click();
    await expect(page).toHaveURL(endpointPage);
    const remove = page.getByRole('button', { name: `Delete the endpoint ${hookURL}` });
    if (noJS(testInfo)) {
      await remove.click();
      await expect(page.getByRole('heading', { name: `Delete the endpoint ${hookURL}?` })).toBeVisible();
      await expectNoOverlaps(page);
      await page.getByRole('button', { name: 'Delete endpoint' }).click();
    } else {
      page.once('dialog', (d) => d.accept());
      await remove.click();
    }
    await expect(page).toHaveURL(/\/webhooks$/);
    await expect(page.getByRole('status')).toContainText(`Deleted the endpoint ${hookURL}.`);
    await expect(page.locator('tbody tr', { hasText: hookURL })).toHaveCount(0);
    await page.goto(endpointPage);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  } finally {
    await receiver.close();
  }
});

test('support sees the webhooks and their deliveries, and no control', async ({ page }) => {
  await signIn(page, support);
  await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
  await expect(page.getByText('owners and admins add, change and remove them')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Add .* endpoint$/ })).toHaveCount(0);
  await expect(page.getByLabel('Endpoint URL')).toHaveCount(0);
});
