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
