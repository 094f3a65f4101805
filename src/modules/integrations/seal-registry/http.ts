import { z } from 'zod';
import type { SealFilingRequest, SealFilingResult, SealRegistryPort } from './port.js';

/**
 * HTTP adapter for a national seal registry gateway. Wire format (JSON over HTTPS, documented in docs/integrations.md):
 *   POST {base}/seals            body SealFilingRequest → 200 {"filingNo": "...", "filedAt": "ISO-8601"}
 *   POST {base}/seals/{esId}/revoke  body {"reason": "..."} → 204
 * Any other status is an error carrying the gateway's body.
 */
const FilingResult = z.object({ filingNo: z.string().min(1), filedAt: z.iso.datetime({ offset: true }) });

export class HttpSealRegistry implements SealRegistryPort {
  readonly simulated = false;
  readonly label: string;
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
    private readonly timeoutMs = 10_000,
  ) {
    this.label = `国家印章备案系统 / national seal registry (${new URL(baseUrl).host})`;
  }

  async file(req: SealFilingRequest): Promise<SealFilingResult> {
    const res = await fetch(new URL('seals', this.base()), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200) throw new Error(`seal registry answered ${res.status}: ${await res.text()}`);
    return FilingResult.parse(await res.json());
  }

  async revoke(esId: string, reason: string): Promise<void> {
    const res = await fetch(new URL(`seals/${encodeURIComponent(esId)}/revoke`, this.base()), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ reason }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 204 && res.status !== 200) {
      throw new Error(`seal registry answered ${res.status}: ${await res.text()}`);
    }
  }

  private base(): string {
    return this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`;
  }
}
