import { generateSecret, generateURI, verifySync } from 'otplib';

/**
 * TOTP second factor (RFC 6238, 30 s, 6 digits, HMAC-SHA1 — what every authenticator app supports). One step of
 * clock drift either way is accepted; a code is refused if its time step was already used (replay).
 */
export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: 'bdcert 不动产登记电子证照', label: username, secret });
}

/** The matched time step (for replay protection), or undefined when the code is wrong. */
export function checkTotp(secret: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const epoch = Math.floor(now.getTime() / 1000);
  const r = verifySync({ secret, token: code, epoch, epochTolerance: 30 });
  if (!r.valid) return undefined;
  return Math.floor(epoch / 30) + (r.delta ?? 0);
}
