import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createGateway, createSite, revoke } from '../../src/admin/commands.ts';
import { revokedAmong } from '../../src/store/gateways.ts';

// The revocation sweep asks which of the connected gateways are revoked: every instance's whole
// list of gateways at once, tens of thousands when that many are connected.

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});

describe('revokedAmong', () => {
  it('finds the revoked gateways among more ids than a statement may have parameters (65,535)', async () => {
    await createSite(tdb.db, 'sweep', 'Sweep');
    const kept = await createGateway(tdb.db, 'sweep', 'kept');
    const gone = await createGateway(tdb.db, 'sweep', 'gone');
    await revoke(tdb.db, gone.id);
    // Ids of gateways this database does not have stand for the other connected ones.
    const ids = [kept.id, ...Array.from({ length: 70_000 }, (_, i) => 1_000_000 + i), gone.id];
    expect(await revokedAmong(tdb.db, ids)).toEqual([gone.id]);
    expect(await revokedAmong(tdb.db, [kept.id])).toEqual([]);
    expect(await revokedAmong(tdb.db, [])).toEqual([]);
  });
});
