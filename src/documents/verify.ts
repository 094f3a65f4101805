import { unzipSync } from 'fflate';
import { equalBytes } from '../crypto/bytes.js';
import { parseSESSignature, type StepStatus, type VerificationStep, verifySES } from '../crypto/ses.js';
import { sm3 } from '../crypto/sm3.js';
import { xml } from './ofd/parse.js';

/**
 * OFD file verifier (issue 5 §7): an ordered list of checks, each passed / failed / skipped with a reason, and a
 * verdict that is valid only if every required check passed. A fatal failure (e.g. the package cannot be read)
 * marks the later checks skipped instead of hiding them.
 */
export interface RecordFacts {
  /** Current status of the certificate in the register: 'issued' is valid; anything else is named. */
  readonly status: string;
  readonly statusName: string;
  /** Metadata the record says the file must carry (CustomData name → value). */
  readonly meta: Readonly<Record<string, string>>;
}

export interface SealRegistryFacts {
  readonly status: 'active' | 'suspended' | 'revoked';
  /** When it stopped being usable (revoked or suspended), if it did. */
  readonly since?: Date;
}

export interface VerifyOfdOptions {
  readonly trustedRoots?: readonly Uint8Array[];
  /**
   * Accept a file whose certificate chains were not checked (integrity only). Without it, no trusted roots means
   * verdict `untrusted`, never valid: a seal nobody can trace to a CA proves nothing (Huangchuan 5.1.2).
   */
  readonly skipTrustCheck?: boolean;
  /** The seal registry's word on a seal code (revocation is not in the file itself). */
  readonly sealLookup?: (esId: string) => Promise<SealRegistryFacts | undefined>;
  /** Looks up the certificate by its identifier when a database is reachable. */
  readonly recordLookup?: (identifier: string) => Promise<RecordFacts | undefined>;
}

export interface OfdVerification {
  readonly valid: boolean;
  /** invalid: a check failed; untrusted: nothing failed but the chains to a trusted root were not checked. */
  readonly verdict: 'valid' | 'invalid' | 'untrusted';
  readonly checks: readonly VerificationStep[];
  readonly meta: Readonly<Record<string, string>>;
  readonly seal?: { name: string; esId: string; signingTime: string };
}

const OPTIONAL = new Set(['record', 'seal-registry']);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strip = (p: string) => p.replace(/^\//, '');

export async function verifyOfd(bytes: Uint8Array, o: VerifyOfdOptions = {}): Promise<OfdVerification> {
  const checks: VerificationStep[] = [];
  const add = (id: string, title: string, titleEn: string, status: StepStatus, reason?: string) =>
    checks.push(reason === undefined ? { id, title, titleEn, status } : { id, title, titleEn, status, reason });
  const PLAN: [string, string, string][] = [
    ['package', 'OFD文件结构', 'OFD package structure'],
    ['signature-present', '电子签章存在', 'electronic seal present'],
    ['references', '文件摘要（每个被保护文件）', 'digest of every protected file'],
    ['coverage', '无未受保护的文件', 'no unprotected file in the package'],
    ['seal-file', '印章文件与签章值一致', 'Seal.esl matches the signed seal'],
    ['ses', '电子签章验证（GB/T 38540）', 'electronic signature (GB/T 38540)'],
    ['seal-registry', '签章时印章未被注销或停用', 'seal not revoked or suspended when used'],
    ['record', '与登记记录一致、证照状态有效', 'matches the register record and is valid'],
    ['trust', '印章与签章者证书可信（证书链至信任根）', 'seal maker and signer certificates chain to a trusted root'],
  ];
  const skipRest = (from: number, reason: string) => {
    for (const [id, t, te] of PLAN.slice(from)) add(id, t, te, 'skipped', reason);
  };
  let files: Record<string, Uint8Array>;
  const meta: Record<string, string> = {};
  try {
    files = unzipSync(bytes);
    const ofd = xml.parse(new TextDecoder().decode(files['OFD.xml']!)) as {
      OFD?: { DocBody?: Record<string, unknown> };
    };
    const body = ofd.OFD?.DocBody as
      | { DocRoot?: string; DocInfo?: { CustomDatas?: { CustomData?: unknown } }; Signatures?: string }
      | undefined;
    if (!body?.DocRoot || !files[strip(String(body.DocRoot))]) throw new Error('DocRoot missing');
    for (const cd of asArray(
      body.DocInfo?.CustomDatas?.CustomData as
        | { '@Name': string; '#text'?: string }
        | { '@Name': string; '#text'?: string }[],
    )) {
      meta[cd['@Name']] = cd['#text'] ?? '';
    }
    add(...PLAN[0]!, 'passed');
    if (!body.Signatures) {
      add(...PLAN[1]!, 'failed', '文件未加盖电子印章 / the file is not sealed');
      skipRest(2, '未签章 / not sealed');
      return { valid: false, verdict: 'invalid', checks, meta };
    }
  } catch (e) {
    add(...PLAN[0]!, 'failed', `无法读取OFD文件 / unreadable OFD: ${(e as Error).message}`);
    skipRest(1, '文件结构无效 / package unreadable');
    return { valid: false, verdict: 'invalid', checks, meta };
  }
  let sigXmlPath: string;
  let signedValuePath: string;
  let sealPath: string;
  let refs: { path: string; value: string }[];
  let checkMethod: string;
  try {
    const sigs = xml.parse(new TextDecoder().decode(files['Doc_0/Signs/Signatures.xml']!)) as {
      Signatures: { Signature: unknown };
    };
    const first = asArray(sigs.Signatures.Signature as { '@BaseLoc': string } | { '@BaseLoc': string }[])[0];
    if (!first) throw new Error('no Signature entry');
    sigXmlPath = strip(first['@BaseLoc']);
    const sx = xml.parse(new TextDecoder().decode(files[sigXmlPath]!)) as {
      Signature: {
        SignedInfo: { References: { '@CheckMethod': string; Reference: unknown }; Seal: { BaseLoc: string } };
        SignedValue: string;
      };
    };
    checkMethod = sx.Signature.SignedInfo.References['@CheckMethod'];
    refs = asArray(sx.Signature.SignedInfo.References.Reference as { '@FileRef': string; CheckValue: string }[]).map(
      (r) => ({ path: strip(r['@FileRef']), value: r.CheckValue }),
    );
    signedValuePath = strip(sx.Signature.SignedValue);
    sealPath = strip(sx.Signature.SignedInfo.Seal.BaseLoc);
    if (!files[signedValuePath] || !files[sealPath]) throw new Error('SignedValue.dat or Seal.esl missing');
    add(...PLAN[1]!, 'passed');
  } catch (e) {
    add(...PLAN[1]!, 'failed', `签章文件缺失或无法读取 / signature files missing: ${(e as Error).message}`);
    skipRest(2, '签章文件无效 / signature files invalid');
    return { valid: false, verdict: 'invalid', checks, meta };
  }
  // References: SM3 (OID 1.2.156.10197.1.401, or the name) over every protected file.
  if (!/^(1\.2\.156\.10197\.1\.401|SM3)$/i.test(checkMethod)) {
    add(...PLAN[2]!, 'failed', `不支持的摘要算法 ${checkMethod}`);
  } else {
    const bad = refs
      .filter((r) => !files[r.path] || Buffer.from(sm3(files[r.path]!)).toString('base64') !== r.value)
      .map((r) => `/${r.path}`);
    add(
      ...PLAN[2]!,
      bad.length ? 'failed' : 'passed',
      ...(bad.length ? [`以下文件被修改或缺失 / altered or missing: ${bad.join(', ')}`] : []),
    );
  }
  const covered = new Set(refs.map((r) => r.path));
  const unprotected = Object.keys(files).filter((p) => !covered.has(p) && p !== sigXmlPath && p !== signedValuePath);
  add(
    ...PLAN[3]!,
    unprotected.length ? 'failed' : 'passed',
    ...(unprotected.length ? [`未受签章保护的文件 / unprotected: ${unprotected.join(', ')}`] : []),
  );

  let sealInfo: OfdVerification['seal'];
  try {
    const parsed = parseSESSignature(files[signedValuePath]!);
    const same = equalBytes(parsed.seal.der, files[sealPath]!);
    add(
      ...PLAN[4]!,
      same ? 'passed' : 'failed',
      ...(same ? [] : ['Seal.esl 与签章值中的印章不一致 / Seal.esl differs from the signed seal']),
    );
    sealInfo = { name: parsed.seal.name, esId: parsed.seal.esId, signingTime: parsed.time.toISOString() };
  } catch (e) {
    add(...PLAN[4]!, 'failed', (e as Error).message);
  }
  const ses = verifySES(files[signedValuePath]!, {
    dataHash: sm3(files[sigXmlPath]!),
    ...(o.trustedRoots ? { trustedRoots: o.trustedRoots } : {}),
  });
  const sesFailed = ses.steps.filter((s) => s.status === 'failed');
  add(
    ...PLAN[5]!,
    sesFailed.length ? 'failed' : 'passed',
    ...(sesFailed.length ? [sesFailed.map((s) => `${s.title}：${s.reason ?? ''}`).join('；')] : []),
  );
  // Listed right after the signature checks (PLAN[8] keeps the indices above stable).
  const chainFailed = ses.steps.some((s) => s.status === 'failed' && /^(maker-certificate|signer-chain)$/.test(s.id));
  if (o.skipTrustCheck)
    add(...PLAN[8]!, 'skipped', '调用方选择不检查信任链 / trust check skipped at the caller’s request');
  else if (ses.trusted) add(...PLAN[8]!, 'passed');
  else if (chainFailed) add(...PLAN[8]!, 'failed', '证书链验证未通过 / a certificate chain failed');
  else add(...PLAN[8]!, 'skipped', '未配置信任根，无法确认印章可信 / no trusted roots: the seal cannot be confirmed');
  for (const s of ses.steps) checks.push({ ...s, id: `ses.${s.id}` });
  if (!o.sealLookup || !sealInfo) {
    add(...PLAN[6]!, 'skipped', '未连接印章登记系统 / no seal registry reachable');
  } else {
    const facts = await o.sealLookup(sealInfo.esId);
    const used = new Date(sealInfo.signingTime);
    if (!facts) add(...PLAN[6]!, 'failed', `印章 ${sealInfo.esId} 未在印章登记系统中备案 / seal not registered`);
    else if (facts.status !== 'active' && (!facts.since || facts.since <= used)) {
      add(
        ...PLAN[6]!,
        'failed',
        `签章时印章已${facts.status === 'revoked' ? '注销' : '停用'} / the seal was ${facts.status} when used`,
      );
    } else add(...PLAN[6]!, 'passed');
  }

  if (!o.recordLookup) {
    add(...PLAN[7]!, 'skipped', '未连接登记数据库 / no register database reachable');
  } else {
    const id = meta.ZZBS;
    const rec = id ? await o.recordLookup(id) : undefined;
    if (!rec) add(...PLAN[7]!, 'failed', '登记记录中没有该证照 / no such certificate in the register');
    else {
      const mismatched = Object.entries(rec.meta)
        .filter(([k, v]) => meta[k] !== v)
        .map(([k]) => k);
      if (mismatched.length)
        add(...PLAN[7]!, 'failed', `文件元数据与记录不一致 / metadata differs: ${mismatched.join(', ')}`);
      else if (rec.status !== 'issued')
        add(...PLAN[7]!, 'failed', `证照状态为「${rec.statusName}」/ status: ${rec.status}`);
      else add(...PLAN[7]!, 'passed');
    }
  }
  const required = checks.filter((c) => !c.id.startsWith('ses.'));
  // Without a database the record and registry checks are skipped, not failed: the file's own checks decide. A
  // skipped trust check means "cannot confirm the seal" (untrusted) unless the caller opted out of it.
  const skippable = (id: string) => OPTIONAL.has(id) || (id === 'trust' && !!o.skipTrustCheck);
  const verdict =
    !ses.ok || required.some((c) => c.status === 'failed')
      ? 'invalid'
      : required.every((c) => c.status === 'passed' || skippable(c.id))
        ? 'valid'
        : 'untrusted';
  return {
    valid: verdict === 'valid',
    verdict,
    checks,
    meta,
    ...(sealInfo ? { seal: sealInfo } : {}),
  };
}
