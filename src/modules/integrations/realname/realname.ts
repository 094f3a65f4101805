import { type PortsConfig, portsFromEnv } from '../../../config.js';
import { isValidResidentIdNumber, maskIdNumber, maskName } from '../../privacy/mask.js';

/**
 * Real-name verification port (Sichuan Art. 11: identity authentication before download and use): checks that a name,
 * an ID number and (optionally) a phone belong together, against the public-security or government-service identity
 * system in production.
 */
export interface RealNameQuery {
  readonly name: string;
  readonly idNumber: string;
  readonly phone?: string;
}

export type RealNameResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'MISMATCH' | 'UNAVAILABLE' };

export interface RealNamePort {
  readonly simulator: boolean;
  verify(q: RealNameQuery): Promise<RealNameResult>;
}

export interface RealNameLog {
  info(obj: object, msg: string): void;
}

/**
 * 实名核验模拟器 / real-name simulator: accepts any well-formed 18-digit ID number (GB 11643 check character) with a
 * non-empty name, except names listed in `refuse` (for tests of the mismatch path). Logs only masked values.
 */
export class RealNameSimulator implements RealNamePort {
  readonly simulator = true;
  constructor(
    private readonly log?: RealNameLog,
    private readonly refuse: ReadonlySet<string> = new Set(['冒名者']),
  ) {}
  async verify(q: RealNameQuery): Promise<RealNameResult> {
    const ok = isValidResidentIdNumber(q.idNumber) && q.name.trim().length > 0 && !this.refuse.has(q.name.trim());
    this.log?.info(
      { simulator: 'realname', name: maskName(q.name), idNumber: maskIdNumber(q.idNumber), ok },
      '[实名核验模拟器 / real-name simulator]',
    );
    return ok ? { ok: true } : { ok: false, reason: 'MISMATCH' };
  }
}

/** HTTP adapter: POST {name, idNumber, phone} → `{ "match": true|false }`. */
export class HttpRealName implements RealNamePort {
  readonly simulator = false;
  constructor(
    private readonly url: string,
    private readonly token?: string,
    private readonly timeoutMs = 5000,
  ) {}
  async verify(q: RealNameQuery): Promise<RealNameResult> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify(q),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) return { ok: false, reason: 'UNAVAILABLE' };
      const body = (await res.json()) as { match?: unknown };
      return body.match === true ? { ok: true } : { ok: false, reason: 'MISMATCH' };
    } catch {
      return { ok: false, reason: 'UNAVAILABLE' };
    }
  }
}

/** Production without a service: every check answers UNAVAILABLE (never the simulator's "yes"). */
export class UnconfiguredRealName implements RealNamePort {
  readonly simulator = false;
  async verify(): Promise<RealNameResult> {
    return { ok: false, reason: 'UNAVAILABLE' };
  }
}

/** BDCERT_REALNAME_URL (+ _TOKEN) selects the HTTP adapter; demo mode falls back to the simulator, production never. */
export function realNamePort(
  mode: 'demo' | 'production',
  cfg: PortsConfig['realName'],
  log?: RealNameLog & { warn?(obj: object, msg: string): void },
): RealNamePort {
  if (cfg.url) return new HttpRealName(cfg.url, cfg.token?.reveal());
  if (mode === 'production') {
    log?.warn?.(
      {},
      '未配置实名核验服务 BDCERT_REALNAME_URL，权利人登录不可用 / no real-name service: holder sign-in unavailable',
    );
    return new UnconfiguredRealName();
  }
  return new RealNameSimulator(log);
}

/** The same from environment variables (validated by the typed configuration). */
export function realNameFromEnv(
  mode: 'demo' | 'production',
  env: NodeJS.ProcessEnv,
  log?: RealNameLog & { warn?(obj: object, msg: string): void },
): RealNamePort {
  return realNamePort(mode, portsFromEnv(env).realName, log);
}
