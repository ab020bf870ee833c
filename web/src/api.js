// One way to call every service: the portal directly, the others through its gateway (/gw/<service>/...).
// Errors come back as { status, error, message, detail } so forms can show the field and the rule.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import router from './router.js'

const KEY = 'fd.session'
// Bumped on every save and clear, so what is computed from the session (the menu) follows a new sign-in.
const changes = ref(0)

export function session() {
  void changes.value
  return JSON.parse(localStorage.getItem(KEY) || 'null')
}

export function hasRole(...roles) {
  const user = session()?.user
  return !!user && roles.some((role) => user.roles.includes(role))
}

export function saveSession(tokens) {
  localStorage.setItem(KEY, JSON.stringify(tokens))
  changes.value += 1
}

export function clearSession() {
  localStorage.removeItem(KEY)
  changes.value += 1
}

function url(service, path) {
  return service === 'portal' ? path : `/gw/${service}${path}`
}

async function refresh() {
  const current = session()
  if (!current?.refresh_token) return false
  const response = await fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: current.refresh_token }),
  })
  if (!response.ok) return false
  saveSession(await response.json())
  return true
}

export async function call(service, path, { method = 'GET', body, form, raw = false, quiet = false, headers: extra = {} } = {}, retried = false) {
  // The services answer rule violations in the user's language (shared/validation.py).
  const headers = { 'accept-language': localStorage.getItem('fd.locale') === 'en' ? 'en' : 'zh-CN', ...extra }
  const token = session()?.access_token
  if (token) headers.authorization = `Bearer ${token}`
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const response = await fetch(url(service, path), { method, headers, body: payload })
  if (response.status === 401 && !retried && (await refresh())) return call(service, path, { method, body, form, raw, quiet, headers: extra }, true)
  if (response.status === 401 && !['/api/auth/login', '/api/auth/oidc/token'].includes(path)) {
    clearSession()
    router.push('/login')
  }
  if (!response.ok) {
    const error = await response.json().catch(() => ({ message: response.statusText }))
    error.status = response.status
    if (!quiet) ElMessage.error(describe(error))
    throw error
  }
  if (raw) return response
  return response.status === 204 ? null : response.json()
}

export function describe(error) {
  // A validation error's message already names each field and rule in words.
  if (error.error === 'validation_failed') return error.message
  const fields = (error.detail || []).map((d) => d.message).filter((m) => m && m !== error.message).join('；')
  return fields ? `${error.message}（${fields}）` : error.message
}

export const get = (service, path, options) => call(service, path, options)
export const post = (service, path, body, options = {}) => call(service, path, { ...options, method: 'POST', body })
export const put = (service, path, body, options = {}) => call(service, path, { ...options, method: 'PUT', body })
export const patch = (service, path, body, options = {}) => call(service, path, { ...options, method: 'PATCH', body })
export const del = (service, path, options = {}) => call(service, path, { ...options, method: 'DELETE' })

// The vendors of the org directory (id and name), for showing a vendor by its name: [] when unreadable.
export const listVendors = () => get('portal', '/api/orgs?kind=vendor', { quiet: true }).catch(() => [])

// A file from a service, saved by the browser: under `name`, or (none given) under the name the server gives
// in Content-Disposition (an attachment's id and real type, never the uploader's name).
export async function saveFile(service, path, name = null) {
  const response = await call(service, path, { raw: true })
  const link = document.createElement('a')
  link.href = URL.createObjectURL(await response.blob())
  link.download = name || /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '')?.[1] || 'download'
  link.click()
  URL.revokeObjectURL(link.href)
}

// Upload one file (an el-upload's `file.raw`) to a service; answers the stored file's description.
export function uploadFile(service, path, raw, options = {}) {
  const form = new FormData()
  form.append('file', raw)
  return call(service, path, { ...options, method: 'POST', form })
}
