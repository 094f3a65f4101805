import { type PortsConfig, portsFromEnv } from '../../../config.js';
import { maskPhone } from '../../privacy/mask.js';

/**
 * SMS port (DESIGN.md "External systems": an HTTP adapter configured by URL, and a simulator for demo and tests).
 * Holders' one-time sign-in codes go through it.
 */
export interface SmsPort {
  /** True for the simulator: callers may then reveal codes in demo mode (never in production). */
  readonly simulator: boolean;
  send(phone: string, text: string): Promise<void>;
}

export interface SmsLog {
  info(obj: object, msg: string): void;
}

/** 短信模拟器 / SMS simulator: sends nothing; logs the (masked) phone and the text, and keeps the last messages. */
export class SmsSimulator implements SmsPort {
  readonly simulator = true;
  readonly sent: { phone: string; text: string; at: Date }[] = [];
  constructor(private readonly log?: SmsLog) {}
  async send(phone: string, text: string): Promise<void> {
    this.sent.push({ phone, text, at: new Date() });
    if (this.sent.length > 100) this.sent.shift();
    this.log?.info(
      { simulator: 'sms', phone: maskPhone(phone), text },
      '[短信模拟器 / SMS simulator] message not sent',
    );
  }
}

/** HTTP adapter: POST {phone, text} as JSON to the gateway URL, bearer token optional. */
export class HttpSms implements SmsPort {
  readonly simulator = false;
  constructor(
    private readonly url: string,
    private readonly token?: string,
    private readonly timeoutMs = 5000,
  ) {}
  async send(phone: string, text: string): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ phone, text }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`短信网关返回 ${res.status} / SMS gateway answered ${res.status}`);
  }
}

/** Production without a gateway: holder SMS sign-in answers "not configured" instead of pretending to send. */
export class UnconfiguredSms implements SmsPort {
  readonly simulator = false;
  readonly unconfigured = true;
  async send(): Promise<void> {
    throw new Error('短信网关未配置（BDCERT_SMS_URL）/ no SMS gateway configured (BDCERT_SMS_URL)');
  }
}

/**
 * BDCERT_SMS_URL (+ BDCERT_SMS_TOKEN) selects the HTTP adapter; without it, demo mode uses the simulator and
 * production gets `UnconfiguredSms` (and a warning), never the simulator.
 */
export function smsPort(
  mode: 'demo' | 'production',
  cfg: PortsConfig['sms'],
  log?: SmsLog & { warn?(obj: object, msg: string): void },
): SmsPort {
  if (cfg.url) return new HttpSms(cfg.url, cfg.token?.reveal());
  if (mode === 'production') {
    log?.warn?.({}, '未配置短信网关 BDCERT_SMS_URL，权利人短信登录不可用 / no SMS gateway: holder sign-in unavailable');
    return new UnconfiguredSms();
  }
  return new SmsSimulator(log);
}

/** The same from environment variables (validated by the typed configuration: a bad URL is an error, not a default). */
export function smsFromEnv(
  mode: 'demo' | 'production',
  env: NodeJS.ProcessEnv,
  log?: SmsLog & { warn?(obj: object, msg: string): void },
): SmsPort {
  return smsPort(mode, portsFromEnv(env).sms, log);
}
