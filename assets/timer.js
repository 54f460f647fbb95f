// Live tick for running timers: every element with data-started-at shows the elapsed
// worked time (breaks and a current pause excluded). The page works without it.
const pad = (n) => String(n).padStart(2, '0');

function render(el) {
  const start = Number(el.dataset.startedAt);
  const breaks = Number(el.dataset.break || 0);
  const pausedAt = el.dataset.pausedAt ? Number(el.dataset.pausedAt) : null;
  const now = pausedAt ?? Math.floor(Date.now() / 1000);
  const secs = Math.max(0, now - start - breaks);
  el.textContent = `${Math.floor(secs / 3600)}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`;
}

function tick() {
  document.querySelectorAll('[data-started-at]').forEach(render);
}

tick();
setInterval(tick, 1000);
