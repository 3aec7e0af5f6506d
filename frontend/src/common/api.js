// Small fetch wrapper: JSON in and out, the platform's error shape, language and auth headers.

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || 'error';
    this.fields = err.fields || {};
    this.body = body;
  }
}

/** A body as JSON; null when it is empty or not JSON (a proxy's HTML error page). */
export function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function cookie(name) {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}

export function makeApi({ lang = 'zh', token = null } = {}) {
  const headers = () => {
    const h = { Accept: 'application/json', 'Accept-Language': lang === 'en' ? 'en' : 'zh-hans' };
    if (token) h.Authorization = `Token ${token}`;
    return h;
  };
  async function request(method, url, body, { signal } = {}) {
    const h = headers();
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      const csrf = cookie('csrftoken');
      if (csrf) h['X-CSRFToken'] = csrf;
    }
    const res = await fetch(url, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
    const data = parseJson(await res.text());
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
  return {
    token,
    get: (url, params, opts) => request('GET', withParams(url, params), undefined, opts),
    post: (url, body, opts) => request('POST', url, body, opts),
    headers,
  };
}

export function withParams(url, params) {
  if (!params) return url;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `${url}${url.includes('?') ? '&' : '?'}${s}` : url;
}
