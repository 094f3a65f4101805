// Thin fetch wrapper: the session travels in the HttpOnly cookie the server sets; errors keep the server's
// bilingual envelope ({ error: { code, message, messageEn } }) so pages can show both languages.
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly zh: string,
    readonly en: string,
  ) {
    super(`${code}: ${zh}`);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: object; headers?: Record<string, string> } = {},
): Promise<T> {
  let url = path;
  if (init.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    credentials: 'same-origin',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; messageEn?: string } } | null)?.error;
    throw new ApiFailure(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? text.slice(0, 200),
      e?.messageEn ?? '',
    );
  }
  return json as T;
}

/** True when the server does not (yet) offer this route: the page shows its 「功能建设中」 state. */
export function isMissing(e: unknown): boolean {
  return e instanceof ApiFailure && (e.status === 404 || e.status === 405) && /NOT_FOUND|ROUTE|HTTP_404/.test(e.code);
}

export interface StaffMe {
  kind: 'staff';
  userId: string;
  username: string;
  displayName: string;
  agencyId: string;
  regionCode: string;
  roles: string[];
  mfa: boolean;
}
export type Me = StaffMe | { kind: 'holder' } | { kind: 'institution'; clientId: string };

export interface CertificateSummary {
  id: string;
  agencyId: string;
  kind: 'property-certificate' | 'registration-proof';
  certificateNo: string;
  identifier: string;
  version: number;
  status: string;
  statusName: string;
  collected: boolean;
  collectedAt: string | null;
  pledged?: boolean;
  unitNo?: string;
  location?: string;
  holders?: string;
  registeredOn?: string;
  sealedAt?: string | null;
  hasFiles?: boolean;
  createdAt?: string;
}
export interface CertificateDetail extends CertificateSummary {
  matter: string | null;
  statusReason: string | null;
  face: Record<string, unknown>;
  events: { event: string; from: string | null; to: string; reason: string | null; actor: unknown; at: string }[];
}
export interface SealBatch {
  id: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  sealed: number;
  failed: number;
  lastError: string | null;
}

let routes: Promise<Set<string>> | undefined;
/** Whether the server publishes this route in its OpenAPI document (pages for APIs still being built say so). */
export async function hasRoute(method: string, path: string): Promise<boolean> {
  routes ??= fetch('/api/openapi.json')
    .then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>)
    .then((j) => new Set(Object.entries(j.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))))
    .catch(() => new Set<string>());
  return (await routes).has(`${method.toLowerCase()} ${path}`);
}
