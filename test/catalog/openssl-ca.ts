import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An SM2 CA made by the OpenSSL CLI — a root and an issuing intermediate — standing in for a licensed CA outside
 * bdcert (issue 4 "an SM2 certificate made by OpenSSL is accepted by bdcert"). `issue` signs a PKCS#10 request the
 * way a CA answers one; `keyAndCert` makes a key pair and certificate entirely in OpenSSL (e.g. the provincial seal
 * platform's seal-maker certificate, whose key bdcert never sees). SM2 signatures use the default ID
 * 1234567812345678 explicitly (OpenSSL 3.0 needs `distid`, standards.md §8.2).
 */
export interface OpenSslCa {
  readonly dir: string;
  readonly rootPem: string;
  readonly intermediatePem: string;
  /** Signs a CSR (PEM) with the intermediate (or `by: 'root'`); returns the certificate PEM. */
  issue(csrPem: string, o?: { usage?: string; ca?: boolean; days?: number; by?: 'root' | 'intermediate' }): string;
  /** A new SM2 key (PKCS#8 PEM) and a certificate for it from this CA. */
  keyAndCert(subject: string, o?: { usage?: string; days?: number }): { keyPem: string; certPem: string };
  dispose(): void;
}

const DISTID = 'distid:1234567812345678';

export function openSslCa(name = 'OpenSSL SM2 测试CA'): OpenSslCa {
  const dir = mkdtempSync(join(tmpdir(), 'bdcert-openssl-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  const genkey = (file: string) =>
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', file);
  let n = 0;
  const sign = (csr: string, ext: string, days: number, by: 'root' | 'intermediate') => {
    const id = `c${++n}`;
    writeFileSync(join(dir, `${id}.csr`), csr);
    writeFileSync(join(dir, `${id}.ext`), ext);
    const [caCert, caKey] = by === 'root' ? ['root.pem', 'root.key'] : ['int.pem', 'int.key'];
    run(
      'x509',
      '-req',
      '-in',
      `${id}.csr`,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-sm3',
      '-sigopt',
      DISTID,
      '-vfyopt',
      DISTID,
      '-extfile',
      `${id}.ext`,
      '-days',
      String(days),
      '-out',
      `${id}.pem`,
    );
    return readFileSync(join(dir, `${id}.pem`), 'utf8');
  };
  genkey('root.key');
  run(
    'req',
    '-new',
    '-x509',
    '-key',
    'root.key',
    '-sm3',
    '-sigopt',
    DISTID,
    '-utf8',
    '-subj',
    `/C=CN/O=${name}/CN=${name} 根CA`,
    '-days',
    '3650',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-out',
    'root.pem',
  );
  genkey('int.key');
  run(
    'req',
    '-new',
    '-key',
    'int.key',
    '-sm3',
    '-sigopt',
    DISTID,
    '-utf8',
    '-subj',
    `/C=CN/O=${name}/CN=${name} 签发CA`,
    '-out',
    'int.csr',
  );
  writeFileSync(
    join(dir, 'int.pem'),
    sign(
      readFileSync(join(dir, 'int.csr'), 'utf8'),
      'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n',
      1825,
      'root',
    ),
  );
  const leafExt = (usage: string, ca: boolean) =>
    `basicConstraints=critical,CA:${ca ? 'TRUE' : 'FALSE'}\nkeyUsage=critical,${usage}\n`;
  return {
    dir,
    rootPem: readFileSync(join(dir, 'root.pem'), 'utf8'),
    intermediatePem: readFileSync(join(dir, 'int.pem'), 'utf8'),
    issue: (csrPem, o = {}) =>
      sign(
        csrPem,
        leafExt(o.usage ?? 'digitalSignature,nonRepudiation', o.ca ?? false),
        o.days ?? 365,
        o.by ?? 'intermediate',
      ),
    keyAndCert(subject, o = {}) {
      const id = `k${++n}`;
      genkey(`${id}.key`);
      run(
        'req',
        '-new',
        '-key',
        `${id}.key`,
        '-sm3',
        '-sigopt',
        DISTID,
        '-utf8',
        '-subj',
        subject,
        '-out',
        `${id}.csr`,
      );
      const certPem = sign(
        readFileSync(join(dir, `${id}.csr`), 'utf8'),
        leafExt(o.usage ?? 'digitalSignature,nonRepudiation', false),
        o.days ?? 365,
        'intermediate',
      );
      return { keyPem: readFileSync(join(dir, `${id}.key`), 'utf8'), certPem };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
