// What every spec shares: the server global-setup started, signing in,
// seeding through the API, screenshots and accessibility checks.
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';

export { expect };
export { admin, loneOwner, owner, support } from './people';

export const test = base.extend({
  baseURL: async ({}, use) => {
    await use(process.env.ROSTER_E2E_URL);
  },
});

/** A short random suffix that keeps one test's data apart from another's. */
export function uid(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Whether the test runs in the project without JavaScript. */
export function noJS(testInfo: TestInfo): boolean {
  return testInfo.project.name === 'no-js';
}

/** Signs in through the form and lands on the accounts page. */
export async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByText(who.email)).toBeVisible();
}

/** Calls the JSON API with the seed key of a mode. */
export async function api(method: string, path: string, body?: object, mode: 'live' | 'test' = 'live', key?: string): Promise<any> {
  const secret = key ?? (mode === 'live' ? process.env.ROSTER_E2E_LIVE_KEY : process.env.ROSTER_E2E_TEST_KEY);
  const res = await fetch(`${process.env.ROSTER_E2E_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

/** Saves a screenshot of the whole page with the test's output. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/**
 * Fails on any serious or critical axe-core violation. axe runs in the page,
 * so the check belongs to the JavaScript project only.
 */
export async function expectAccessible(page: Page, testInfo: TestInfo): Promise<void> {
  if (noJS(testInfo)) return;
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) on ${page.url()}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

/** Opens the header's menu of the signed-in person (a <details>, no script needed). */
export async function openAccountMenu(page: Page): Promise<void> {
  const menu = page.locator('details.account-menu');
  if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) await menu.locator('summary').click();
}

/** Switches to the other mode through the header's menu. */
export async function switchMode(page: Page, to: 'live' | 'test'): Promise<void> {
  await openAccountMenu(page);
  await page.getByRole('button', { name: `Switch to ${to} mode` }).click();
}

/** Signs out through the header's menu. */
export async function signOut(page: Page): Promise<void> {
  await openAccountMenu(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
}

/**
 * Fails when two visible elements of the page draw over each other: every
 * pair of controls, messages and labels inside one container is checked
 * with its bounding boxes.
 */
export async function expectNoOverlaps(page: Page, scope = 'main'): Promise<void> {
  const overlaps = await page.evaluate((sel) => {
    const els = Array.from(document.querySelectorAll(`${sel} :is(button, select, input:not([type=hidden]), textarea, a, label, small, p, summary, [role=alert], [role=status])`))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && el.checkVisibility({ visibilityProperty: true }) && !el.closest('.visually-hidden');
      });
    const out: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} “${(el.textContent || '').trim().slice(0, 40)}”`;
    for (let i = 0; i < els.length; i++) {
      for (let j = i + 1; j < els.length; j++) {
        const a = els[i], b = els[j];
        if (a.contains(b) || b.contains(a)) continue;
        if (a.closest('label') === b || b.closest('label') === a) continue;
        // An inline element that wraps has a box per line: compare those.
        const hit = Array.from(a.getClientRects()).some((ra) =>
          Array.from(b.getClientRects()).some((rb) => {
            const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            return x > 2 && y > 2;
          }),
        );
        if (hit) out.push(`${name(a)} overlaps ${name(b)}`);
      }
    }
    return out;
  }, scope);
  expect(overlaps).toEqual([]);
}

/** The table row of the member with this email on a members page. */
export function memberRow(page: Page, email: string) {
  return page.locator('#members-results tbody tr', { hasText: email });
}

/** Confirms a destructive action: hx-confirm's dialog with scripts, the confirmation page without. */
export async function confirmAction(page: Page, testInfo: TestInfo, link: string, button: string): Promise<void> {
  if (noJS(testInfo)) {
    await page.getByRole('button', { name: link }).click();
    await page.getByRole('button', { name: button }).click();
  } else {
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: link }).click();
  }
}
