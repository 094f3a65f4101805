import assert from 'node:assert/strict';
import type { FaceInput } from '../../src/domain/face-data.js';
import type { AuditResult } from '../../src/modules/audit/tables.js';
import { SAMPLE_PROPERTY_CERTIFICATE as P } from '../fixtures/domain/samples.js';
import { type AppFixture, auth } from '../support/app.js';

/**
 * Shared ground for the per-route API tests (Unkey style: each route's happy, error and security cases): two demo
 * agencies (潢川 and 南阳, from the catalog demo step), staff of each role, and helpers that record and seal.
 */
export interface DemoAgency {
  readonly region: string;
  readonly uscc: string;
  readonly name: string;
}
export const HC: DemoAgency = { region: '411526', uscc: '11411526MB1A00028N', name: '潢川县自然资源局' };
export const NY: DemoAgency = { region: '411300', uscc: '11411300MB1A00036H', name: '南阳市自然资源和规划局' };

export const OWNER = { name: '张三', idType: '111', idNumber: '11010519491231002X', holderType: '1' } as const;

export const unitOf = (a: DemoAgency, n: number) => `${a.region}001002GB${String(n).padStart(5, '0')}F00010203`;

export function faceOf(a: DemoAgency, n: number, holder: typeof OWNER = OWNER, area = 98.56): FaceInput {
  const { certificateNo: _a, identifier: _b, infoQr: _c, queryQr: _d, coOwners: _e, ...rest } = P;
  return {
    ...rest,
    agencyName: a.name,
    agencyCode: a.uscc,
    holders: [holder],
    coOwnership: '单独所有',
    unitNo: unitOf(a, n),
    registeredOn: '20261120',
    area,
  };
}

/** A 首次登记 entry for unit `n` of the agency. */
export function entryOf(a: DemoAgency, n: number, holder: typeof OWNER = OWNER) {
  return {
    businessNo: `API${a.region}${String(n).padStart(6, '0')}`,
    registrationType: '100',
    recordedAt: '2026-11-20T10:00:00+08:00',
    unitNo: unitOf(a, n),
    location: P.location,
    face: faceOf(a, n, holder),
  };
}

export interface Recorded {
  readonly id: string;
  readonly identifier: string;
  readonly certificateNo: string;
}

export async function record(fx: AppFixture, token: string, body: object): Promise<Recorded> {
  const r = await fx.app.inject({
    method: 'POST',
    url: '/api/v1/register/entries',
    headers: auth(token),
    payload: body,
  });
  assert.equal(r.statusCode, 201, r.body);
  const o = r.json().outcome as { certificateId: string; identifier: string; certificateNo: string };
  return { id: o.certificateId, identifier: o.identifier, certificateNo: o.certificateNo };
}

/** Seals what is pending for the clerk's agency (the clerk's session must be stepped up) and waits for the batch. */
export async function sealAll(fx: AppFixture, sealer: string): Promise<{ status: string; sealed: number }> {
  const r = await fx.app.inject({ method: 'POST', url: '/api/v1/seal-batches', headers: auth(sealer), payload: {} });
  assert.equal(r.statusCode, 202, r.body);
  for (let i = 0; i < 400; i++) {
    const p = await fx.app.inject({ url: `/api/v1/seal-batches/${r.json().id}`, headers: auth(sealer) });
    assert.equal(p.statusCode, 200, p.body);
    if (p.json().status !== 'running') return p.json() as { status: string; sealed: number };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('batch did not finish');
}

/** Audit rows of one action (newest last). */
export function auditRows(fx: AppFixture, action: string, result?: AuditResult) {
  return fx.store.db
    .selectFrom('audit.entries')
    .selectAll()
    .where('action', '=', action)
    .$if(result !== undefined, (q) => q.where('result', '=', result as AuditResult))
    .orderBy('seq')
    .execute();
}

/** The body of a 404 minus its request id: a hidden object must answer exactly like a missing one. */
export const notFoundShape = (body: string) => {
  const e = (JSON.parse(body) as { error: Record<string, unknown> }).error;
  const { requestId: _r, ...rest } = e;
  return rest;
};

export const MISSING_ID = '5b0c2a8e-6c1d-4e3f-8a9b-1c2d3e4f5a6b';
