import { maskIdNumber, maskPhone } from '../modules/privacy/mask.js';

/**
 * Scrubbing of personal data and credentials wherever they would leave the process in the clear: log lines (issue 7
 * §7: ID numbers and names masked in lists and logs) and the audit viewer's `details`. Works at any depth, by key
 * name and by value pattern, so a field added tomorrow under a new parent is still covered.
 */
export const REDACTED = '[redacted]';

/** Keys (lower-cased, non-alphanumerics dropped) whose values are never shown. */
const SECRET_KEYS = new Set([
  // credentials
  'password',
  'passwd',
  'oldpassword',
  'newpassword',
  'passwordhash',
  'secret',
  'clientsecret',
  'secrethash',
  'token',
  'accesstoken',
  'refreshtoken',
  'sessiontoken',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xapikey',
  'apikey',
  'privatekey',
  'masterkey',
  'bdcertmasterkey',
  'signature',
  'signaturehex',
  // one-time codes (TOTP, SMS)
  'totp',
  'totpcode',
  'totpsecret',
  'totpsecretenc',
  'otp',
  'smscode',
  'democode',
  'verificationcode',
  // personal data (issue 7 §7)
  'idnumber',
  'holderidnumber',
  'holdercode',
  'idno',
  'idcard',
  'name',
  'holdername',
  'displayname',
  'realname',
  'personname',
  'ownername',
  'nameenc',
  'contact',
  'contactenc',
]);
const PHONE_KEYS = new Set(['phone', 'mobile', 'phonenumber', 'tel']);

const norm = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, '');

/** 居民身份证号码: 18 characters (GB 11643) or the legacy 15 digits, not part of a longer code. */
const ID_18 =
  /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g;
const ID_15 = /(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])/g;
/** Credentials in header-like text: `Bearer …`, `Basic …`, an SM2-signed request's header. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const SIGNED_SCHEME = /BDC-SM2-SM3\s+[^\n"]*/g;
/** Query parameters that carry secrets or personal data. */
const QUERY =
  /([?&](?:token|code|otp|password|secret|signature|idNumber|holderIdNumber|holderCode|name|phone)=)[^&#\s"]*/gi;
/** QR verification tokens in paths (`/v/<token>`, `/api/v1/verify/<token>`). */
const PATH_TOKEN = /(\/(?:v|verify)\/)[A-Za-z0-9_-]{16,64}/g;
/** One-time codes in message texts (the SMS text, "code: 123456"). */
const CODE_IN_TEXT = /(验证码\D{0,8}|\b(?:code|otp|totp)\b["':= ]{1,4})\d{4,8}/gi;

/** Masks ID numbers and removes credentials and one-time codes from free text. */
export function scrubText(s: string): string {
  return s
    .replace(ID_18, (m) => maskIdNumber(m))
    .replace(ID_15, (m) => maskIdNumber(m))
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SIGNED_SCHEME, `BDC-SM2-SM3 ${REDACTED}`)
    .replace(QUERY, (_m, key: string) => `${key}${REDACTED}`)
    .replace(PATH_TOKEN, (_m, prefix: string) => `${prefix}${REDACTED}`)
    .replace(CODE_IN_TEXT, (_m, prefix: string) => `${prefix}******`);
}

/**
 * A copy of `v` with secrets and personal data removed at any depth: values under secret keys become `[redacted]`,
 * phone numbers are masked, a `code` that is a 4–8 digit one-time code is removed, and every string is scrubbed with
 * `scrubText`. Cycles are cut.
 */
export function scrubValue(v: unknown, seen: WeakSet<object> = new WeakSet(), inError = false): unknown {
  if (typeof v === 'string') return scrubText(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, seen, inError));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const n = norm(k);
    if (SECRET_KEYS.has(n)) out[k] = x === null || x === undefined ? x : REDACTED;
    else if (PHONE_KEYS.has(n) && (typeof x === 'string' || typeof x === 'number')) out[k] = maskPhone(String(x));
    // An error's `code` (e.g. PostgreSQL's 23505) is a diagnosis, not a one-time code.
    else if (
      n === 'code' &&
      !inError &&
      (typeof x === 'string' || typeof x === 'number') &&
      /^\d{4,8}$/.test(String(x))
    )
      out[k] = REDACTED;
    else out[k] = scrubValue(x, seen, inError || n === 'err' || n === 'error');
  }
  return out;
}

/** A JSON object key as pino writes it (no whitespace): `"key":` — exact on a line without escapes. */
const JSON_KEY = /"([^"]*)":/g;

/**
 * pino `hooks.streamWrite`: the finished JSON line, scrubbed. Working on the line (rather than hooking the log call)
 * covers what serializers produced too — the request URL, an error's message, stack and driver details. The common
 * line (an access-log line) has no sensitive key: it is scrubbed as text, without parsing; a line with a sensitive
 * key, or with any escape (which could hide a key from the scan), is parsed and scrubbed structurally.
 */
export function scrubLogLine(line: string): string {
  if (!line.includes('\\')) {
    let structural = false;
    for (const m of line.matchAll(JSON_KEY)) {
      const n = norm(m[1] ?? '');
      if (SECRET_KEYS.has(n) || PHONE_KEYS.has(n) || n === 'code') {
        structural = true;
        break;
      }
    }
    // The replacements add no quote or backslash, so the line stays valid JSON.
    if (!structural) return scrubText(line);
  }
  try {
    return `${JSON.stringify(scrubValue(JSON.parse(line)))}\n`;
  } catch {
    // Not JSON (never expected from pino): scrub as text, and keep the line break pino wrote.
    return scrubText(line);
  }
}
