// Expression of interest (投资意向): becomes a lead linked to the carriers the investor looked at.
import { esc } from '../common/format.js';
import { loadViewed } from './drawer.js';

const MOBILE = /^(?:\+?86|0086)?1[3-9]\d{9}$/;
const LANDLINE = /^0\d{9,11}$/;
// A number abroad in E.164 form: + (or 00) and the country code, at most 15 digits (as the server).
const INTERNATIONAL = /^(?:\+|00)[1-9]\d{6,14}$/;

export function validPhone(raw) {
  const digits = String(raw || '').replace(/[\s\-()（）]/g, '');
  return MOBILE.test(digits) || LANDLINE.test(digits) || INTERNATIONAL.test(digits);
}

export function setupInterest(ctx) {
  const { api, t } = ctx;
  const modal = document.getElementById('interest');
  const form = document.getElementById('interest-form');
  const done = document.getElementById('interest-done');
  const list = document.getElementById('interest-carriers');
  const errors = document.getElementById('interest-errors');

  function renderCarriers(preselect) {
    const viewed = loadViewed();
    const refs = new Set(viewed.map((v) => v.ref));
    // Sites in the comparison that were never opened here (a shared link), and a park the
    // interest is expressed from: named once fetched.
    const unnamed = [...new Set([...(preselect ? [preselect] : []), ...ctx.state.cmp])].filter((ref) => !refs.has(ref));
    for (const ref of unnamed) viewed.push({ ref, name: t('loading') });
    if (!viewed.length) {
      list.innerHTML = `<p class="hint">${esc(t('no_carriers'))}</p>`;
      return;
    }
    list.innerHTML = viewed
      .map((v) => {
        const kind = t(v.ref.split(':')[0]);
        return `<label class="chip"><input type="checkbox" name="carriers" value="${esc(v.ref)}" checked ${preselect === v.ref ? 'data-pre="1"' : ''}><span>${esc(kind)} · <span data-name="${esc(v.ref)}">${esc(v.name)}</span></span></label>`;
      })
      .join('');
    for (const ref of unnamed) {
      const [layer, id] = ref.split(':');
      ctx.fetchFeature(layer, Number(id)).then((f) => {
        const el = list.querySelector(`[data-name="${ref}"]`);
        if (el) el.textContent = ctx.fmt.name(f.properties, ref);
      }).catch(() => {});
    }
  }
  document.getElementById('privacy-link').href = `/privacy/?lang=${ctx.lang}`;

  function open(preselect) {
    form.hidden = false;
    done.hidden = true;
    errors.textContent = '';
    form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    renderCarriers(preselect);
    modal.hidden = false;
    form.elements.investor_name.focus();
  }
  function close() {
    modal.hidden = true;
  }
  ctx.openInterest = open;
  document.getElementById('interest-open').addEventListener('click', () => open());
  document.getElementById('interest-close').addEventListener('click', close);
  modal.addEventListener('click', (e) => {
    if (e.target === modal) close();
  });

  function mark(name, message) {
    const el = form.elements[name];
    if (el && el.classList) el.classList.add('invalid');
    return message;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    const v = (name) => form.elements[name].value.trim();
    const problems = [];
    if (!v('investor_name')) problems.push(mark('investor_name', t('err_name')));
    if (!validPhone(v('phone'))) problems.push(mark('phone', t('err_phone')));
    if (v('email') && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v('email'))) problems.push(mark('email', t('err_email')));
    if (!form.elements.consent.checked) problems.push(mark('consent', t('err_consent')));
    if (problems.length) {
      errors.innerHTML = problems.map((p) => `<div>${esc(p)}</div>`).join('');
      return;
    }
    const body = {
      investor_name: v('investor_name'),
      company: v('company'),
      phone: v('phone'),
      email: v('email'),
      industry: v('industry'),
      message: v('message'),
      website: form.elements.website.value,
      consent: form.elements.consent.checked,
      carriers: [...form.querySelectorAll('input[name="carriers"]:checked')].map((i) => i.value),
    };
    if (v('investment_wan')) body.investment_wan = v('investment_wan');
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    button.textContent = t('submitting');
    errors.textContent = '';
    try {
      const res = await api.post('/api/pipeline/leads/', body);
      form.hidden = true;
      done.hidden = false;
      done.innerHTML = `<div class="modal-head"><h2>${esc(t('interest_done'))}</h2></div>
        <p>${esc(t('interest_done_msg', { ref: res.reference, place: res.division ? res.division.name : '' }))}</p><p class="reference">${esc(t('reference'))}: <b id="lead-reference">${esc(res.reference)}</b></p>
        <p class="hint">${esc(t('keep_reference'))}</p><div class="row buttons"><button type="button" class="btn btn-primary" id="interest-done-close">${esc(t('again'))}</button></div>`;
      document.getElementById('interest-done-close').addEventListener('click', close);
      form.reset();
    } catch (err) {
      if (err.status === 429) {
        const wait = (err.body && err.body.error && err.body.error.retry_after) || 600;
        errors.textContent = t('err_rate', { min: Math.max(1, Math.round(wait / 60)) });
      } else if (err.status === 400 && err.fields) {
        errors.innerHTML = Object.entries(err.fields)
          .map(([name, msgs]) => `<div>${esc(mark(name, `${t(name)}: ${[].concat(msgs).join(' ')}`))}</div>`)
          .join('');
      } else {
        errors.textContent = t('err_generic', { msg: err.message });
      }
    } finally {
      button.disabled = false;
      button.textContent = t('submit');
    }
  });
}
