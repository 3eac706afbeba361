// Roster's own script: small enhancements on top of pages that work without it.

// Controls that need scripts (copy buttons) are rendered hidden and shown here.
function reveal(root) {
  root.querySelectorAll('[data-needs-js]').forEach((el) => { el.hidden = false; });
}
document.addEventListener('DOMContentLoaded', () => reveal(document));
document.addEventListener('htmx:load', (e) => reveal(e.target));

// A button with data-copy="ID" copies the value of the element with that id.
document.addEventListener('click', async (e) => {
  const button = e.target.closest('[data-copy]');
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.value ?? source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    source.select?.();
    document.execCommand('copy');
  }
  button.textContent = 'Copied';
  button.setAttribute('aria-live', 'polite');
});

// After htmx swaps in part of a page, focus lands on what changed when the
// control that was used went with the old content: the element marked
// data-focus, else the message that says what happened, else the first
// control. The message is read out by the polite live region #announcer.
const handled = new WeakSet();
document.addEventListener('htmx:afterSettle', (e) => {
  const xhr = e.detail.xhr;
  if (!xhr || handled.has(xhr)) return;
  handled.add(xhr);
  const id = e.detail.target && e.detail.target.id;
  const root = (id && document.getElementById(id)) || e.detail.target;
  if (!root || !root.isConnected) return;
  const message = root.querySelector('[data-focus], [role="alert"], [role="status"]:not(#announcer)');
  announce(message);
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const control = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href], summary';
  const target = message || root.querySelector(control) || root;
  if (!target.matches(control)) target.setAttribute('tabindex', '-1');
  target.focus();
});

// announce reads a message out through the polite live region.
function announce(message) {
  const region = document.getElementById('announcer');
  if (!region || !message || message.getAttribute('role') === 'alert') return;
  region.textContent = '';
  setTimeout(() => { region.textContent = message.textContent.trim().replace(/\s+/g, ' '); }, 50);
}
