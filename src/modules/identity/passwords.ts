import { hash, verify } from '@node-rs/argon2';

/**
 * Staff passwords: argon2id (RFC 9106), memory-hard. Parameters follow OWASP's minimum (19 MiB, t=2, p=1), ~10 ms per
 * hash on this hardware (bench/audit); stored as a PHC string so parameters can be raised later without a migration.
 */
// algorithm 2 = Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

// A fixed hash to verify against when the user does not exist, so an unknown name costs the same time as a wrong
// password (no user enumeration by timing).
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('bdcert-no-such-user');
  await verifyPassword(await dummy, password);
}

/** Returns a [zh, en] reason when the password is too weak, else undefined. */
export function passwordWeakness(password: string, username?: string): [string, string] | undefined {
  if (Array.from(password).length < MIN_PASSWORD_LENGTH)
    return [`密码至少 ${MIN_PASSWORD_LENGTH} 个字符`, `password must have at least ${MIN_PASSWORD_LENGTH} characters`];
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3)
    return [
      '密码须包含大写字母、小写字母、数字、符号中的至少三类',
      'password must mix at least three of: upper case, lower case, digits, symbols',
    ];
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    return ['密码不得包含用户名', 'password must not contain the user name'];
  return undefined;
}

/** A random password that passes the policy (for demo users and resets printed once). */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const body = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  return `${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8, 12)}-7a`;
}
