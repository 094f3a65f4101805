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

async function failure(res: Response): Promise<ApiFailure> {
  const text = await res.text().catch(() => '');
  let e: { code?: string; message?: string; messageEn?: string } | undefined;
  try {
    e = (JSON.parse(text) as { error?: typeof e }).error;
  } catch {
    e = undefined;
  }
  return new ApiFailure(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? text.slice(0, 200),
    e?.messageEn ?? '',
  );
}

export function withQuery(path: string, query?: object): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: object; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await fetch(withQuery(path, init.query), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    credentials: 'same-origin',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** A raw upload (a file as the request body, as `/api/v1/verify/file` takes it). */
export async function upload<T>(path: string, file: Blob, contentType: string, query?: object): Promise<T> {
  const res = await fetch(withQuery(path, query), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': contentType },
    body: file,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** The server refuses this user's role (403; a missing second factor, STEP_UP_REQUIRED, is not a refusal). */
export function isForbidden(e: unknown): boolean {
  return e instanceof ApiFailure && e.status === 403 && e.code !== 'STEP_UP_REQUIRED';
}

export type StaffRole = 'registrar' | 'sealing-clerk' | 'agency-admin' | 'auditor' | 'province-admin';

export interface StaffMe {
  kind: 'staff';
  userId: string;
  username: string;
  displayName: string;
  agencyId: string;
  regionCode: string;
  roles: StaffRole[];
  /** The session passed its second factor (always true for a full session — it does not say TOTP is enrolled). */
  mfa: boolean;
  /**
   * Whether the account has an authenticator (TOTP) enrolled. Not returned by every server version: when absent the
   * step-up dialog asks for "the code, or your password without an authenticator".
   */
  totpEnabled?: boolean;
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
  matter?: string | null;
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
  createdAt?: string;
  finishedAt?: string | null;
}

let routes: Promise<Set<string>> | undefined;
/**
 * Whether the server publishes this route in its OpenAPI document. Only used for interfaces other engineers are
 * still landing (the page then says the server does not offer it); a 404 from a published route means "hidden from
 * you", never "not built".
 */
export async function hasRoute(method: string, path: string): Promise<boolean> {
  routes ??= fetch('/api/openapi.json')
    .then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>)
    .then((j) => new Set(Object.entries(j.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))))
    .catch(() => new Set<string>());
  return (await routes).has(`${method.toLowerCase()} ${path}`);
}
