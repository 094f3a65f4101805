import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { latestDueSlot, scheduleTick, startScheduler } from '../../src/modules/issuance/schedule.js';
import { recordEntry } from '../../src/modules/issuance/service.js';
import { type AppFixture, appFixture, auth } from '../support/app.js';
import { TEST_BACKEND } from '../support/store.js';
import { propertyFace, unitNo } from './support.js';

/** China Standard Time wall clock → the instant (the fixture clock is UTC). */
const cst = (s: string) => new Date(`${s}+08:00`);

describe(`sealing schedule: 12:00/18:00, catch-up, real-time, PATCH (Henan 三(一)5) [${TEST_BACKEND}]`, () => {
  let fx: AppFixture;
  let agencyId: string;
  let n = 0;
  before(async () => {
    fx = await appFixture();
    agencyId = (await fx.agency('411526')).id;
  });
  after(async () => fx.close());

  const deps = () => fx.services.issuance;
  // Entries go through the service (the fixture clock jumps days ahead; staff sessions would expire meanwhile).
  const pendingEntry = async () => {
    n++;
    const r = await recordEntry(
      deps(),
      {
        businessNo: `SCHED2026${String(n).padStart(4, '0')}`,
        agencyId,
        registrationType: '100',
        recordedAt: fx.clock.now.toISOString(),
        unitNo: unitNo(500 + n),
        location: propertyFace(500 + n).location,
        face: propertyFace(500 + n),
      },
      { kind: 'system', id: 'test' },
    );
    return r.outcome.certificateId!;
  };
  const status = async (id: string) =>
    (await fx.store.db.selectFrom('certificates').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;
  const mine = (rs: Awaited<ReturnType<typeof scheduleTick>>) => rs.filter((r) => r.agencyId === agencyId);
  const slot = (at: Date) =>
    fx.store.db
      .selectFrom('seal_schedule_slots')
      .selectAll()
      .where('agency_id', '=', agencyId)
      .where('slot_at', '=', at)
      .executeTakeFirst();

  test('latestDueSlot: the latest 12:00/18:00 at or before now, in China Standard Time', () => {
    const t = ['12:00', '18:00'];
    assert.equal(latestDueSlot(cst('2026-11-20T11:59:59'), t)?.toISOString(), cst('2026-11-19T18:00').toISOString());
    assert.equal(latestDueSlot(cst('2026-11-20T12:00:00'), t)?.toISOString(), cst('2026-11-20T12:00').toISOString());
    assert.equal(latestDueSlot(cst('2026-11-21T00:10'), t)?.toISOString(), cst('2026-11-20T18:00').toISOString());
    assert.equal(latestDueSlot(cst('2026-11-21T00:10'), []), undefined);
  });

  test('the first tick only records a baseline; at 12:00 the pending certificate is sealed, once', async () => {
    fx.clock.now = cst('2026-11-20T11:59:00');
    const first = mine(await scheduleTick(deps()));
    assert.deepEqual(
      first.map((r) => r.outcome),
      ['baseline'],
    );
    const id = await pendingEntry();
    assert.deepEqual(mine(await scheduleTick(deps())), [], 'yesterday 18:00 is already accounted for');
    assert.equal(await status(id), 'pending-seal');
    fx.clock.now = cst('2026-11-20T12:00:10');
    const fired = mine(await scheduleTick(deps()));
    assert.deepEqual(
      fired.map((r) => [r.outcome, r.catchUp]),
      [['sealed', false]],
    );
    assert.equal(await status(id), 'issued');
    const b = await fx.store.db
      .selectFrom('seal_batches')
      .selectAll()
      .where('id', '=', fired[0]!.batchId!)
      .executeTakeFirstOrThrow();
    assert.equal(b.trigger, 'schedule');
    fx.clock.now = cst('2026-11-20T12:00:40');
    assert.deepEqual(mine(await scheduleTick(deps())), [], 'the 12:00 time fires once');
  });

  test('a time missed while the process was down (18:00) is caught up when the scheduler starts', async () => {
    fx.clock.now = cst('2026-11-20T12:30:00');
    const id = await pendingEntry();
    assert.deepEqual(mine(await scheduleTick(deps())), []);
    // Down from 17:00 to 19:30: the 18:00 time never ticked.
    fx.clock.now = cst('2026-11-20T19:30:00');
    const stop = startScheduler(deps(), { intervalMs: 3_600_000 });
    try {
      for (let i = 0; i < 400 && (await status(id)) !== 'issued'; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop();
    }
    assert.equal(await status(id), 'issued');
    const s = await slot(cst('2026-11-20T18:00'));
    assert.equal(s?.outcome, 'sealed');
    assert.equal(s?.catch_up, true);
  });

  test('two nodes ticking at the same time seal a time once', async () => {
    fx.clock.now = cst('2026-11-21T11:00:00');
    await pendingEntry();
    await scheduleTick(deps());
    fx.clock.now = cst('2026-11-21T12:00:05');
    const both = (await Promise.all([scheduleTick(deps()), scheduleTick(deps())])).flatMap(mine);
    assert.deepEqual(
      both.map((r) => r.outcome),
      ['sealed'],
    );
  });

  test('PATCH /api/v1/agencies/:id/sealing validates HH:MM lists and twice a day, is audited and sends an event', async () => {
    fx.clock.now = cst('2026-11-21T14:00:00');
    const admin = (await fx.staff('411526', 'sched-admin', ['agency-admin'])).token;
    const registrar = (await fx.staff('411526', 'sched-registrar', ['registrar'])).token;
    const otherAdmin = (await fx.staff('411300', 'sched-other', ['agency-admin'])).token;
    const patch = (body: object, token = admin, id = agencyId) =>
      fx.app.inject({ method: 'PATCH', url: `/api/v1/agencies/${id}/sealing`, headers: auth(token), payload: body });
    const badTime = await patch({ times: ['12:00', '25:00'] });
    assert.equal(badTime.statusCode, 400);
    assert.equal(badTime.json().error.field, 'times[1]');
    assert.match(badTime.json().error.message, /HH:MM/);
    assert.equal((await patch({ times: ['12:00', '12:00'] })).statusCode, 400);
    assert.equal((await patch({})).statusCode, 400);
    assert.equal((await patch({ mode: 'weekly' })).statusCode, 400);
    const once = await patch({ mode: 'scheduled', times: ['12:00'] });
    assert.equal(once.statusCode, 422);
    assert.equal(once.json().error.code, 'TOO_FEW_SEALING_TIMES');
    assert.equal((await patch({ times: ['09:30', '18:00'] }, registrar)).statusCode, 403);
    assert.equal((await patch({ times: ['09:30', '18:00'] }, otherAdmin)).statusCode, 404);

    const ok = await patch({ mode: 'scheduled', times: ['18:00', '13:00'] });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { agencyId, sealingMode: 'scheduled', sealingTimes: ['13:00', '18:00'] });
    const audit = await fx.store.db
      .selectFrom('audit.entries')
      .selectAll()
      .where('action', '=', 'agency.sealing-schedule')
      .execute();
    assert.equal(audit.length, 1);
    assert.deepEqual((audit[0]!.details as { to: unknown }).to, { mode: 'scheduled', times: ['13:00', '18:00'] });
    const ev = await fx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('event_type', '=', 'agency.sealing-schedule-changed')
      .execute();
    assert.equal(ev.length, 1);
    // 13:00 came before the change: it does not fire now, the next time is 18:00.
    const id = await pendingEntry();
    assert.deepEqual(mine(await scheduleTick(deps())), []);
    fx.clock.now = cst('2026-11-21T18:00:01');
    assert.deepEqual(
      mine(await scheduleTick(deps())).map((r) => r.outcome),
      ['sealed'],
    );
    assert.equal(await status(id), 'issued');
  });

  test('real-time mode seals what is pending at the switch and each new entry right after it commits', async () => {
    const left = await pendingEntry();
    const admin = (await fx.staff('411526', 'sched-admin2', ['agency-admin'])).token;
    const r = await fx.app.inject({
      method: 'PATCH',
      url: `/api/v1/agencies/${agencyId}/sealing`,
      headers: auth(admin),
      payload: { mode: 'realtime', times: [] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const id = await pendingEntry();
    for (let i = 0; i < 400 && ((await status(id)) !== 'issued' || (await status(left)) !== 'issued'); i++)
      await new Promise((res) => setTimeout(res, 50));
    assert.equal(await status(left), 'issued');
    assert.equal(await status(id), 'issued');
  });
});
