import type { Command } from 'commander';
import { checkCertificateNumber, normaliseCertificateNumber } from '../../domain/certificate-number.js';
import { checkIdentifier } from '../../domain/identifier.js';
import { hasErrors, type Problem } from '../../domain/problem.js';
import { divisionName } from '../../domain/validators/division.js';
import { checkIdNumber } from '../../domain/validators/id-number.js';
import { checkUnitNumber, normaliseUnitNumber } from '../../domain/validators/unit-number.js';
import { checkUscc } from '../../domain/validators/uscc.js';

const CHECKS: Record<string, (v: string) => Problem[]> = {
  id: (v) => checkIdNumber(v, 'value'),
  uscc: (v) => checkUscc(v, 'value'),
  unit: (v) => checkUnitNumber(v, 'value'),
  identifier: (v) => checkIdentifier(v, 'value'),
  certno: (v) => checkCertificateNumber(v, 'value'),
  division: (v) =>
    divisionName(v)
      ? []
      : [
          {
            code: 'DIVISION_UNKNOWN',
            field: 'value',
            message: `行政区划代码 ${v} 不在GB/T 2260中`,
            messageEn: `${v} is not a GB/T 2260 code`,
            severity: 'error',
          },
        ],
};

/** The stored form of a value the check accepts (full-width brackets → half-width, spaces dropped, x → X). */
const NORMALISE: Record<string, (v: string) => string> = {
  id: (v) => v.trim().toUpperCase(),
  unit: normaliseUnitNumber,
  certno: normaliseCertificateNumber,
};

/** `bdcert check <kind> <value>` — a JSON verdict for data preparers; exit 0 valid, 1 invalid. */
export function register(program: Command): void {
  program
    .command('check')
    .description(
      '校验单个编码 / check one value: id (公民身份号码) | uscc (统一社会信用代码) | unit (不动产单元号) | identifier (电子证照标识) | certno (证号) | division (行政区划代码)',
    )
    .argument('<kind>', Object.keys(CHECKS).join(' | '))
    .argument('<value>')
    .action((kind: string, value: string) => {
      const check = CHECKS[kind];
      if (!check) {
        console.error(`未知的校验类型 ${kind}，可选：${Object.keys(CHECKS).join('、')} / unknown kind ${kind}`);
        process.exit(2);
      }
      const problems = check(value);
      const valid = !hasErrors(problems);
      const extra: Record<string, string | undefined> = {};
      if (kind === 'division' && valid) extra.name = divisionName(value);
      const norm = NORMALISE[kind]?.(value);
      if (valid && norm !== undefined && norm !== value) extra.normalised = norm;
      console.log(JSON.stringify({ kind, value, valid, ...extra, problems }, null, 2));
      process.exit(valid ? 0 : 1);
    });
}
