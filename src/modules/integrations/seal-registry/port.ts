/**
 * National seal registry (国家电子印章备案/公安印章治安管理系统) port. Henan 三(一)1: seals are filed with the national
 * seal system so they verify anywhere. Two adapters: HTTP (configured by URL) and a simulator for demo and tests.
 */
export interface SealFilingRequest {
  readonly esId: string;
  readonly sealName: string;
  readonly agencyName: string;
  readonly agencyUscc: string;
  readonly validFrom: string; // ISO 8601
  readonly validTo: string;
  /** SM3 hex of the SESeal DER being filed. */
  readonly sealDigest: string;
}

export interface SealFilingResult {
  readonly filingNo: string;
  readonly filedAt: string; // ISO 8601
}

export interface SealRegistryPort {
  /** Human label shown in logs and UI; simulators say so. */
  readonly label: string;
  readonly simulated: boolean;
  file(req: SealFilingRequest): Promise<SealFilingResult>;
  /** Tell the registry a seal is no longer in use (注销). */
  revoke(esId: string, reason: string): Promise<void>;
}
