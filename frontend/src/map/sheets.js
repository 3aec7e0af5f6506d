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
