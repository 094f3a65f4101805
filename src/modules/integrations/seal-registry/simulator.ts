import { createHash } from 'node:crypto';
import type { SealFilingRequest, SealFilingResult, SealRegistryPort } from './port.js';

/**
 * 模拟器 / simulator of the national seal registry, for the demo and the tests only. Filing numbers are derived from
 * the request (deterministic) and prefixed `SIM-` so a simulated filing can never pass for a real one.
 */
export class SimulatedSealRegistry implements SealRegistryPort {
  readonly label = '国家印章备案系统（模拟器）/ national seal registry (SIMULATOR)';
  readonly simulated = true;
  readonly filings = new Map<string, SealFilingResult>();
  readonly revoked = new Map<string, string>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly log?: (msg: string, data: object) => void,
  ) {}

  async file(req: SealFilingRequest): Promise<SealFilingResult> {
    const digest = createHash('sm3').update(`${req.esId}|${req.sealDigest}`).digest('hex');
    const res = { filingNo: `SIM-${digest.slice(0, 16).toUpperCase()}`, filedAt: this.now().toISOString() };
    this.filings.set(req.esId, res);
    this.log?.('seal filed with SIMULATED national seal registry', { esId: req.esId, filingNo: res.filingNo });
    return res;
  }

  async revoke(esId: string, reason: string): Promise<void> {
    this.revoked.set(esId, reason);
    this.log?.('seal revoked at SIMULATED national seal registry', { esId });
  }
}
