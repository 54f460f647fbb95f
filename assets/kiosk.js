// Kiosk enhancements: clock, live elapsed time, idle return, badge-scanner input, project
// search and user picking. Only textContent and attributes are written: names never become markup.
const body = document.body;

function pad(n) { return String(n).padStart(2, '0'); }

const clock = document.querySelector('[data-clock]');
if (clock) {
  const tick = () => { const d = new Date(); clock.textContent = `${pad(d.getHours())}:${pad(d.getMinutes())}`; };
  tick();
  setInterval(tick, 1000);
}

const elapsed = document.querySelector('[data-elapsed-seconds]');
if (elapsed) {
  const base = Number(elapsed.dataset.elapsedSeconds) || 0;
  const started = Date.now();
  const tick = () => {
    const s = base + Math.floor((Date.now() - started) / 1000);
    elapsed.textContent = `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  };
  tick();
  setInterval(tick, 1000);
}

// The server ends the session after the idle time; this takes the screen back to the start.
const idle = Number(body.dataset.idleSeconds || 0);
if (idle > 0) {
  let last = Date.now();
  for (const ev of ['pointerdown', 'keydown', 'input']) document.addEventListener(ev, () => { last = Date.now(); });
  setInterval(() => { if (Date.now() - last > idle * 1000) window.location.assign('/kiosk'); }, 1000);
}

// A keyboard-wedge scanner types the code fast and ends with Enter. On the idle screen,
// keystrokes outside a text field are collected and submitted as a badge.
const badge = document.querySelector('[data-badge]');
if (badge) {
  let buffer = '';
  let lastKey = 0;
  document.addEventListener('keydown', (e) => {
    const inField = e.target instanceof HTMLInputElement;
    const now = Date.now();
    if (now - lastKey > 300) buffer = '';
    lastKey = now;
    if (e.key === 'Enter') {
      if (!inField && buffer.length >= 4) {
        e.preventDefault();
        badge.value = buffer;
        document.getElementById('identify').submit();
      }
      buffer = '';
      return;
    }
    if (!inField && e.key.length === 1) buffer += e.key;
  });
}

for (const chip of document.querySelectorAll('[data-pick-user]')) {
  chip.addEventListener('click', () => {
    const field = document.querySelector('[data-username]');
    if (field) { field.value = chip.dataset.pickUser; const next = document.querySelector('[name=pin], [name=password]'); (next || field).focus(); }
  });
}

const filter = document.querySelector('[data-filter-tiles]');
if (filter) {
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const tile of document.querySelectorAll('[data-tile]')) tile.hidden = q !== '' && !tile.dataset.tile.includes(q);
  });
  // Enter in the search box must not submit the timer form.
  filter.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });
}
