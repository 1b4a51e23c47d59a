/** The seat directory (lib/seats): ids, names, hashed codes, rotation, and edits by another process. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SeatDirectory, seatIds } from '../../lib/seats/seat-directory.ts';
import { generateCode, normalizeCode } from '../../lib/seats/secrets.ts';

describe('seat directory', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cm-seats-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('names seats user01… (wider when needed) and refuses a prefix that makes bad ids', () => {
    assert.deepEqual(seatIds(3), ['user01', 'user02', 'user03']);
    assert.equal(seatIds(120, 'p').at(-1), 'p120');
    assert.throws(() => seatIds(2, 'Bad Prefix'), { code: 'invalid_request', field: 'seats.prefix' });
  });

  it('codes use an unambiguous alphabet and are typed forgivingly', () => {
    for (let i = 0; i < 50; i++) assert.match(generateCode(), /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    assert.equal(normalizeCode(' ab2c-d3ef 4ghj '), 'AB2CD3EF4GHJ');
  });

  it('issues codes once, verifies them, and sees rotations, renames and disables made by another process', async () => {
    const path = join(dir, 'seats.json');
    const { directory: server, issued } = await SeatDirectory.open({ path, count: 2, names: ['Ada'] });
    assert.deepEqual([...issued.keys()], ['user01', 'user02']);
    assert.equal(server.get('user01')?.name, 'Ada');
    assert.equal(server.get('user02')?.name, 'user02');
    assert.ok(await server.verify('user01', issued.get('user01')!.toLowerCase()));
    assert.equal(await server.verify('user01', issued.get('user02')!), null);
    assert.equal(await server.verify('user09', issued.get('user01')!), null);

    const { directory: cli, issued: none } = await SeatDirectory.open({ path, count: 2 });
    assert.equal(none.size, 0);
    const fresh = await cli.rotate('user02');
    await cli.update('user01', { disabled: true, name: 'Grace' });
    assert.equal(await server.verify('user02', issued.get('user02')!), null, 'the old code stopped working');
    assert.ok(await server.verify('user02', fresh));
    assert.equal(server.list()[0]!.name, 'Grace');
    assert.equal(server.status('user01'), 'disabled');
    assert.equal(server.status('nobody'), 'unknown');
    await assert.rejects(server.rotate('nobody'), { code: 'not_found' });
  });
});
