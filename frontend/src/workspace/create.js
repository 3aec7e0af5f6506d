// 新建项目 / 线索转项目: one dialog for both. Converting a lead posts the project with ``lead``; the
// API keeps the carriers the investor viewed and marks the lead converted. On success the browser
// goes to the new project's page.
import { BusyButton, Dialog, ErrorNote, FormField, fieldErrors, fill, formLevelError, html, useEffect, useState } from '../staff/kit.js';
import { projectHref } from './common.js';

/** The form's first values: empty for a new project, the lead's own for a conversion. */
function startValues(c, lead) {
  const first = c.createDivisions[0];
  if (!lead) return { division: first ? String(first.value) : '' };
  const division = lead.division && c.createDivisions.find((d) => d.code === lead.division.code);
  return {
    name: lead.company || lead.investor_name || '',
    industry: lead.industry || '',
    investment_wan: lead.investment_wan || '',
    division: String((division || first || { value: '' }).value),
  };
}

export function CreateDialog({ c, api, lead, open, onClose }) {
  const [values, setValues] = useState(startValues(c, lead));
  const [error, setError] = useState(null);
  useEffect(() => {
    if (open) {
      setValues(startValues(c, lead));
      setError(null);
    }
  }, [open, lead]);
  const errors = fieldErrors(error);
  const fields = c.createFields.map((f) =>
    f.name === 'division' ? { ...f, options: c.createDivisions.map((d) => ({ value: String(d.value), label: d.label })) } : f,
  );
  const send = async () => {
    setError(null);
    const body = { ...values, division: Number(values.division) };
    if (body.investment_wan === '') body.investment_wan = null;
    if (lead) body.lead = lead.id;
    try {
      const project = await api.post(c.projectsApi, body);
      window.location.assign(projectHref(c, project.id));
    } catch (err) {
      setError(err);
    }
  };
  return html`<${Dialog} open=${open} onClose=${onClose} className="create-dialog"
    title=${lead ? fill(c.text.convertTitle, { ref: lead.reference }) : c.text.createTitle}
    footer=${html`
      <button type="button" onClick=${onClose}>${c.text.cancel}</button>
      <${BusyButton} className="primary" label=${lead ? c.text.convert : c.text.create} busyLabel=${c.text.sending} onClick=${send} data-confirm="create" />
    `}>
    ${lead ? html`<p class="dialog-intro">${c.text.convertIntro}</p>` : null}
    ${fields.map(
      (f) => html`<${FormField} key=${f.name} field=${f} idPrefix="create" value=${values[f.name]} error=${errors[f.name]}
        onValue=${(v) => setValues({ ...values, [f.name]: v })} />`,
    )}
    <${ErrorNote} error=${formLevelError(error, fields.map((f) => f.name))} />
  </${Dialog}>`;
}
