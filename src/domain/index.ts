// Public surface of the domain rules (pure, no I/O). See docs/domain.md for where each rule comes from.
export * from './agency.js';
export * from './catalog.js';
export * from './certificate-number.js';
export * from './codes/override.js';
export * from './codes/tables.js';
export * from './document-decision.js';
export * from './face-data.js';
export * from './field-names.js';
export * from './identifier.js';
export * from './lifecycle.js';
export * from './problem.js';
export * from './validators/dates.js';
export * from './validators/division.js';
export * from './validators/id-number.js';
export * from './validators/unit-number.js';
export * from './validators/uscc.js';
