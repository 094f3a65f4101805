/**
 * A problem found by a rule: the shape every validator, importer and HTTP error uses.
 * DESIGN.md "Conventions": errors carry a stable code, a Chinese and an English message, and the field path.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  /** Stable machine code, SCREAMING_SNAKE, never reworded once published. */
  readonly code: string;
  /** Field path, dot/bracket notation of our camelCase names, e.g. `holders[1].idNumber`. */
  readonly field?: string;
  /** zh-CN message shown to users first. */
  readonly message: string;
  /** English alternative. */
  readonly messageEn: string;
  readonly severity: Severity;
}

export function problem(
  code: string,
  message: string,
  messageEn: string,
  field?: string,
  severity: Severity = 'error',
): Problem {
  return field === undefined ? { code, message, messageEn, severity } : { code, field, message, messageEn, severity };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Thrown when a rule refuses an operation; carries the same fields as a Problem. */
export class DomainError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly messageEn: string;
  readonly problems: readonly Problem[];
  constructor(code: string, message: string, messageEn: string, field?: string, problems: readonly Problem[] = []) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.field = field;
    this.messageEn = messageEn;
    this.problems = problems;
  }

  static from(p: Problem, problems: readonly Problem[] = [p]): DomainError {
    return new DomainError(p.code, p.message, p.messageEn, p.field, problems);
  }
}

/** Result of a validator: the value when valid, and every problem found (warnings may accompany a value). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T; readonly problems: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };
