// The API client shared by the control panel and the inbox: cookie session with the CSRF header on writes,
// the tenant header for agent and plugin routes, and errors as ApiError carrying the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  // The field a 422 names ("field 'config.behavior.position' must be …"), or ''.
  get field() {
    const m = /^field '([^']+)'/.exec(this.message || '');
    return this.status === 422 && m ? m[1] : '';
  }
}

export const session = { csrf: '' };

export function cookie(name) {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}

// Calls the API. `body` is JSON unless `type` names another content type (then it is sent as is); `tenant`
// adds X-Parley-Tenant; `text` resolves with the body as text. Resolves with the JSON (null for 204), or throws
// ApiError.
export async function api(method, path, body, { tenant, type, text, headers: extra } = {}) {
  const headers = { Accept: text ? '*/*' : 'application/json', ...extra };
  if (body !== undefined) headers['Content-Type'] = type || 'application/json';
  if (tenant) headers['X-Parley-Tenant'] = tenant;
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = session.csrf || cookie('parley_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : type ? body : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  if (res.ok && text) return res.text();
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || `The server answered ${res.status}.`,
      res.headers.get('Retry-After'));
  }
  return data;
}

export function describe(err) {
  if (!(err instanceof ApiError)) return String((err && err.message) || err);
  let msg = err.message;
  if (err.retryAfter) msg += ` (retry in ${err.retryAfter} s)`;
  return err.status ? `${msg} [${err.code}]` : msg;
}
