// On a phone the side panel, the details and the comparison are all bottom sheets over the map:
// one opening closes the others, so what was tapped is always what shows (on a wide screen they
// sit side by side and stay open together).
const PHONE = window.matchMedia('(max-width: 700px)');

export function onlyOne(ctx, opening) {
  if (!PHONE.matches) return;
  if (opening !== 'panel' && ctx.state.panel) ctx.showPanel(null);
  if (opening !== 'drawer' && !document.getElementById('drawer').hidden) ctx.closeDetail();
  if (opening !== 'compare') document.getElementById('compare').hidden = true;
}

// A sheet is dragged by its handle and comes to rest at one of three heights: a peek at the map
// (30 % of the window), half (62 %), or all the room below the top bar, which stays usable.
// Tapping the handle steps up (and back to the peek from the top); the arrow keys do the same.
const SNAPS = [0.3, 0.62, 1];
const snapHeight = (i) => Math.min(SNAPS[i] * window.innerHeight, window.innerHeight - document.querySelector('.topbar').offsetHeight);

export function setupSheets(t) {
  for (const id of ['panel', 'drawer', 'compare']) {
    const sheet = document.getElementById(id);
    const handle = document.createElement('div');
    handle.className = 'sheet-handle';
    handle.tabIndex = 0;
    handle.setAttribute('role', 'slider');
    handle.setAttribute('aria-label', t('sheet_handle'));
    sheet.prepend(handle);
    let drag = null;
    const rest = (i) => {
      const at = Math.max(0, Math.min(SNAPS.length - 1, i));
      sheet.dataset.snap = String(at);
      sheet.style.height = `${Math.round(snapHeight(at))}px`;
      handle.setAttribute('aria-valuenow', String(at));
    };
    const nearest = (h) => SNAPS.reduce((best, _s, i) => (Math.abs(snapHeight(i) - h) < Math.abs(snapHeight(best) - h) ? i : best), 0);
    handle.addEventListener('pointerdown', (e) => {
      if (!PHONE.matches) return;
      handle.setPointerCapture(e.pointerId);
      drag = { y: e.clientY, height: sheet.getBoundingClientRect().height, moved: false };
      sheet.classList.add('dragging');
    });
    handle.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const height = Math.max(snapHeight(0) * 0.8, Math.min(snapHeight(SNAPS.length - 1), drag.height + drag.y - e.clientY));
      drag.moved = drag.moved || Math.abs(e.clientY - drag.y) > 6;
      sheet.style.height = `${height}px`;
    });
    const end = () => {
      if (!drag) return;
      sheet.classList.remove('dragging');
      const current = Number(sheet.dataset.snap || 1);
      rest(drag.moved ? nearest(sheet.getBoundingClientRect().height) : (current + 1) % SNAPS.length);
      drag = null;
    };
    handle.addEventListener('pointerup', end);
    handle.addEventListener('pointercancel', end);
    handle.addEventListener('keydown', (e) => {
      const step = { ArrowUp: 1, ArrowDown: -1 }[e.key];
      if (!step || !PHONE.matches) return;
      e.preventDefault();
      rest(Number(sheet.dataset.snap || 1) + step);
    });
  }
}
