/**
 * Output files: listing, download (inline, attachment, byte ranges) and the
 * streamed zip, and that a seat never reaches another seat's files. Jobs are
 * finished through the queue's own dispatch API with real files in the seat store,
 * exactly where the worker pool puts them.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { OutputFile } from '../../lib/job.ts';
import { readZip } from '../helpers/zip.ts';
import { call, type Credentials, loginAdmin, loginSeat, PROMPT, startTestServer, type TestServer } from './harness.ts';

type Json = Record<string, unknown>;

describe('outputs', () => {
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let admin: Credentials;
  let jobA: string;
  let fileUrl: string;
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);

  /** Queues a job for `who` and finishes it on worker gpu0 with one output file. */
  async function finishedJob(who: Credentials, seat: string, bytes: Buffer, name: string): Promise<string> {
    const answer = await call(t.url, 'POST', '/api/v1/jobs', { auth: who, body: { prompt: PROMPT } });
    const id = (answer.body as { id: string }).id;
    const queue = t.server.queue;
    const claimed = await queue.claimNext('gpu0');
    assert.equal(claimed?.id, id);
    await queue.markRunning(id);
    const outputs = t.server.app.cm.outputs;
    const ref: OutputFile = outputs.refFor(seat, id, 'gpu0', { filename: name, subfolder: '', type: 'output' }, '9', 'images');
    ref.size = await outputs.write(seat, ref, Readable.from([bytes]));
    await queue.markSucceeded(id, [ref]);
    return id;
  }

  before(async () => {
    t = await startTestServer();
    a = await loginSeat(t.url, 'user01', t.codes.get('user01')!);
    b = await loginSeat(t.url, 'user02', t.codes.get('user02')!);
    admin = await loginAdmin(t.url);
    jobA = await finishedJob(a, 'user01', png, 'ComfyUI_00001_.png');
    await finishedJob(b, 'user02', Buffer.from('other seat'), 'ComfyUI_00001_.png');
  });
  after(() => t.close());

  it('lists a job’s outputs with URLs and serves the file inline, as a download, and by range', async () => {
    const listed = await call(t.url, 'GET', `/api/v1/jobs/${jobA}/outputs`, { auth: a });
    const [output] = (listed.body as { outputs: Json[] }).outputs;
    assert.equal(output!['subfolder'], `${jobA}/gpu0`);
    assert.equal(output!['size'], png.length);
    fileUrl = output!['url'] as string;
    assert.equal(fileUrl, `/api/v1/jobs/${jobA}/outputs/${jobA}/gpu0/ComfyUI_00001_.png`);

    const inline = await fetch(t.url + fileUrl, { headers: { cookie: (a as { cookie: string }).cookie } });
    assert.equal(inline.status, 200);
    assert.equal(inline.headers.get('content-type'), 'image/png');
    assert.equal(inline.headers.get('x-content-type-options'), 'nosniff');
    assert.match(inline.headers.get('content-disposition') ?? '', /^inline/);
    assert.deepEqual(Buffer.from(await inline.arrayBuffer()), png);

    const download = await fetch(`${t.url}${fileUrl}?download=1`, { headers: { cookie: (a as { cookie: string }).cookie } });
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment; filename="ComfyUI_00001_.png"/);
    await download.arrayBuffer();

    const part = await fetch(t.url + fileUrl, { headers: { cookie: (a as { cookie: string }).cookie, range: 'bytes=1-3' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1-3/${png.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), png.subarray(1, 4));
  });

  it('another seat gets 404 for the job, its outputs and its files; other paths 404, escapes 403', async () => {
    assert.equal((await call(t.url, 'GET', `/api/v1/jobs/${jobA}/outputs`, { auth: b })).status, 404);
    assert.equal((await call(t.url, 'GET', fileUrl, { auth: b })).status, 404);
    assert.equal((await call(t.url, 'GET', fileUrl, { auth: admin })).status, 200);
    assert.equal((await call(t.url, 'GET', `/api/v1/jobs/${jobA}/outputs/${jobA}/gpu0/..%2f..%2fqueue.db`, { auth: a })).status, 403);
    assert.equal((await call(t.url, 'GET', `/api/v1/jobs/${jobA}/outputs/${jobA}/gpu0/other.png`, { auth: a })).status, 404);
  });

  it('the zip holds exactly the seat’s own files; the admin can zip one seat or all', async () => {
    const mine = await fetch(`${t.url}/api/v1/outputs.zip?seat=user02`, { headers: { cookie: (a as { cookie: string }).cookie } });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('content-type'), 'application/zip');
    const files = readZip(Buffer.from(await mine.arrayBuffer()));
    assert.deepEqual([...files.keys()], [`${jobA}/gpu0/ComfyUI_00001_.png`], '?seat= is ignored for a seat');
    assert.deepEqual(files.get(`${jobA}/gpu0/ComfyUI_00001_.png`), png);

    const one = await fetch(`${t.url}/api/v1/outputs.zip?seat=user02`, { headers: { cookie: (admin as { cookie: string }).cookie } });
    const theirs = readZip(Buffer.from(await one.arrayBuffer()));
    assert.equal(theirs.size, 1);
    assert.equal([...theirs.values()][0]!.toString(), 'other seat');

    const all = await fetch(`${t.url}/api/v1/outputs.zip`, { headers: { cookie: (admin as { cookie: string }).cookie } });
    const everything = readZip(Buffer.from(await all.arrayBuffer()));
    assert.deepEqual([...everything.keys()].map((name) => name.split('/')[0]).sort(), ['user01', 'user02']);
  });

  it('the seat list counts finished jobs and their outputs', async () => {
    const seats = (await call(t.url, 'GET', '/api/v1/admin/seats', { auth: admin })).body as { seats: Json[] };
    const one = seats.seats.find((s) => s['seat'] === 'user01')!;
    assert.equal(one['done'], 1);
    assert.equal(one['outputs'], 1);
  });
});
