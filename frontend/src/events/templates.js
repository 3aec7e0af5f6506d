// 检查项模板 on the desk: the current version of each checklist template (/api/patrols/templates/),
// a new one (version 1), and a revision of one (POST …/<id>/revise/: each save is the next version;
// the results already filed keep theirs), with every version of a key on request (?history=<key>).
import {
  BusyButton,
  Control,
  DataTable,
  Dialog,
  ErrorNote,
  FormField,
  fieldErrors,
  fill,
  formLevelError,
  html,
  useEffect,
  useState,
  useToast,
} from '../staff/kit.js';
import { when } from './common.js';

const blankItem = () => ({ key: '', label: '', type: 'yes_no', required: true, choices: [] });

/** One checklist item per row: its key, its question, its kind, required, and a choice's options. */
function ItemsEditor({ p, items, onItems, errors }) {
  const set = (i, patch) => onItems(items.map((item, j) => (j === i ? { ...item, ...patch } : item)));
  const move = (i, by) => {
    const next = [...items];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onItems(next);
  };
  const col = (name) => p.itemFields.find((f) => f.name === name);
  return html`<div class="items-editor">
    <table class="data items">
      <thead><tr>${p.itemFields.map((f) => html`<th scope="col">${f.label}</th>`)}<th></th></tr></thead>
      <tbody>${items.map(
        (item, i) => html`<tr key=${i} data-item=${i}>
          ${['key', 'label', 'type', 'required'].map(
            (name) => html`<td data-label=${col(name).label}>
              <${Control} field=${col(name)} id=${`item-${i}-${name}`} value=${item[name]} onValue=${(v) => set(i, { [name]: v })} />
            </td>`,
          )}
          <td data-label=${col('choices').label}>
            ${item.type === 'choice'
              ? html`<${Control} field=${col('choices')} id=${`item-${i}-choices`} value=${item.choices.join('、')}
                  onValue=${(v) => set(i, { choices: v.split(/[、,，]/).map((s) => s.trim()).filter(Boolean) })} />`
              : null}
          </td>
          <td class="item-tools">
            <button type="button" class="small" disabled=${i === 0} aria-label=${p.text.up} onClick=${() => move(i, -1)}>↑</button>
            <button type="button" class="small" disabled=${i === items.length - 1} aria-label=${p.text.down} onClick=${() => move(i, 1)}>↓</button>
            <button type="button" class="small danger" aria-label=${p.text.removeItem} onClick=${() => onItems(items.filter((_, j) => j !== i))}>×</button>
          </td>
        </tr>
        ${errors[`items.${i}`] ? html`<tr class="item-error"><td colspan="6"><small class="error" role="alert">${errors[`items.${i}`]}</small></td></tr>` : null}`,
      )}</tbody>
    </table>
    ${errors.items ? html`<small class="error" role="alert">${errors.items}</small>` : null}
    <button type="button" class="link" id="add-item" onClick=${() => onItems([...items, blankItem()])}>${p.text.addItem}</button>
  </div>`;
}

function EditDialog({ p, api, template, onClose, onSaved }) {
  const creating = template && !template.id;
  const [values, setValues] = useState({});
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!template) return;
    setValues({ key: template.key || '', name: template.name || '' });
    setItems((template.items || []).map((item) => ({ ...blankItem(), ...item, choices: item.choices || [] })));
    setError(null);
  }, [template]);
  if (!template) return html`<${Dialog} open=${false} onClose=${onClose} />`;
  const save = async () => {
    setError(null);
    // A choice's options go with it only; the server refuses them on any other kind.
    const body = { name: values.name, items: items.map((item) => ({ ...item, choices: item.type === 'choice' ? item.choices : [] })) };
    try {
      const saved = creating
        ? await api.post(p.templatesApi, { ...body, key: values.key })
        : await api.post(p.reviseUrl.replace('{id}', String(template.id)), body);
      onSaved(saved);
    } catch (err) {
      setError(err);
    }
  };
  const errors = fieldErrors(error);
  const fields = creating ? p.templateFields : p.templateFields.filter((f) => f.name !== 'key');
  return html`<${Dialog} open=${true} onClose=${onClose} className="template-dialog"
    title=${creating ? p.text.newTemplate : fill(p.text.reviseTitle, { name: template.name, version: template.version })}
    footer=${html`<button type="button" onClick=${onClose}>${p.text.cancel}</button>
      <${BusyButton} className="primary" label=${creating ? p.text.create : p.text.saveVersion} busyLabel=${p.text.sending} onClick=${save} data-save="template" />`}>
    <p class="dialog-intro">${creating ? p.text.createIntro : p.text.reviseIntro}</p>
    ${fields.map(
      (f) => html`<${FormField} key=${f.name} field=${f} idPrefix="template" value=${values[f.name]} error=${errors[f.name]}
        onValue=${(v) => setValues({ ...values, [f.name]: v })} />`,
    )}
    <${ItemsEditor} p=${p} items=${items} onItems=${setItems} errors=${errors} />
    <${ErrorNote} error=${formLevelError(error, [...fields.map((f) => f.name), 'items', ...items.map((_, i) => `items.${i}`)])} />
  </${Dialog}>`;
}

function HistoryDialog({ p, api, template, onClose }) {
  const [versions, setVersions] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!template) return;
    setVersions(null);
    api.get(p.templatesApi, { history: template.key }).then((a) => setVersions(a)).catch(setError);
  }, [template]);
  const columns = [
    { name: 'version', label: p.columnLabels.version },
    { name: 'name', label: p.columnLabels.name },
    { name: 'items', label: p.columnLabels.items, render: (t) => t.items.length },
    { name: 'created_at', label: p.columnLabels.created_at, render: (t) => when(t.created_at) },
  ];
  return html`<${Dialog} open=${!!template} onClose=${onClose} title=${template ? fill(p.text.historyOf, { name: template.name }) : ''}
    footer=${html`<button type="button" onClick=${onClose}>${p.text.close}</button>`}>
    <${ErrorNote} error=${error} />
    ${versions ? html`<${DataTable} columns=${columns} rows=${versions} empty=${p.text.noTemplates} rowKey="id" />` : null}
  </${Dialog}>`;
}

export function TemplatesTab({ c, api }) {
  const p = { ...c.patrols, text: { ...c.text, ...c.patrols.text } };
  const [templates, setTemplates] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [history, setHistory] = useState(null);
  const [toast, say] = useToast();
  const load = () => api.get(p.templatesApi).then((a) => setTemplates(a)).catch(setError);
  useEffect(() => {
    load();
  }, []);
  const saved = (t) => {
    setEditing(null);
    say(fill(p.text.savedVersion, { name: t.name, version: t.version }));
    load();
  };
  const columns = [
    ...p.templateColumns.map((col) => ({
      ...col,
      render: { items: (t) => t.items.length, created_at: (t) => when(t.created_at), version: (t) => html`<span class="version">v${t.version}</span>` }[col.name],
    })),
    {
      name: 'tools',
      label: p.text.tools,
      render: (t) => html`<span class="row-tools">
        ${p.canEdit ? html`<button type="button" class="small" data-revise=${t.key} onClick=${() => setEditing(t)}>${p.text.revise}</button>` : null}
        <button type="button" class="small" data-history=${t.key} onClick=${() => setHistory(t)}>${p.text.history}</button>
      </span>`,
    },
  ];
  return html`<div class="templates">
    <div class="toolbar">
      ${p.canEdit ? html`<button type="button" class="primary" id="new-template" onClick=${() => setEditing({ items: [blankItem()] })}>${p.text.newTemplate}</button>` : null}
    </div>
    <${ErrorNote} error=${error} />
    ${templates ? html`<${DataTable} columns=${columns} rows=${templates} empty=${p.text.noTemplates} rowKey="id" />` : null}
    <${EditDialog} p=${p} api=${api} template=${editing} onClose=${() => setEditing(null)} onSaved=${saved} />
    <${HistoryDialog} p=${p} api=${api} template=${history} onClose=${() => setHistory(null)} />
    ${toast}
  </div>`;
}
