// Signing in once on this phone: a device token (POST /api/auth/device/), kept in IndexedDB.
import { BusyButton, ErrorNote, FormField, fieldErrors, formLevelError, html, useState } from '../staff/kit.js';

const FIELDS = ['username', 'password', 'otp'];

export function LoginView({ c, client, notice, onSignedIn }) {
  const [values, setValues] = useState({ username: '', password: '', otp: '' });
  const [error, setError] = useState(null);
  const t = c.text;
  const fields = [
    { name: 'username', label: t.username, type: 'text', required: true },
    { name: 'password', label: t.password, type: 'password', required: true },
    { name: 'otp', label: t.otp, type: 'text' },
  ];
  const submit = async () => {
    setError(null);
    try {
      const body = { username: values.username, password: values.password, device: navigator.userAgent.slice(0, 100) };
      if (values.otp) body.otp = values.otp;
      const answer = await client.post(c.urls.login, body);
      await onSignedIn({ token: answer.token, expires_at: answer.expires_at, user: answer.user });
    } catch (err) {
      setError(err);
    }
  };
  const errors = fieldErrors(error);
  return html`<div class="m-login">
    <h1>${t.appName}</h1>
    <p class="help">${t.signInHelp}</p>
    ${notice ? html`<div class="error-note" role="alert">${notice}</div>` : null}
    <form onSubmit=${(e) => e.preventDefault()}>
      ${fields.map((f) => html`<${FormField} field=${f} value=${values[f.name]} error=${errors[f.name]} idPrefix="login"
        onValue=${(v) => setValues({ ...values, [f.name]: v })} />`)}
      <${ErrorNote} error=${formLevelError(error, FIELDS)} />
      <${BusyButton} type="submit" className="primary" label=${t.signIn} busyLabel=${t.signingIn} onClick=${submit} />
    </form>
  </div>`;
}
