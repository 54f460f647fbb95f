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

// A keyboard-wedge scanner types the code fast (a few ms per key) and ends with Enter. On the
// idle screen, keys typed outside a field are a badge. Inside a field, only a burst faster than
// anyone types counts: it is taken back out of the field and sent as a badge instead.
const badge = document.querySelector('[data-badge]');
const KEY_GAP_MS = { outside: 300, inField: 60 };
if (badge) {
  let burst = '';
  let lastKey = 0;
  document.addEventListener('keydown', (e) => {
    const field = e.target instanceof HTMLInputElement ? e.target : null;
    const now = Date.now();
    if (now - lastKey > (field ? KEY_GAP_MS.inField : KEY_GAP_MS.outside)) burst = '';
    lastKey = now;
    if (e.key === 'Enter') {
      if (burst.length >= 4) {
        e.preventDefault();
        if (field && field.value.endsWith(burst)) field.value = field.value.slice(0, -burst.length);
        const form = document.getElementById('identify');
        for (const input of form.querySelectorAll('input[name=username], input[name=pin], input[name=password]')) input.value = '';
        badge.value = burst;
        form.submit();
      }
      burst = '';
      return;
    }
    if (e.key.length === 1) burst += e.key;
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
