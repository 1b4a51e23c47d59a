/**
 * The ComfyUI extension in real Chromium: the harness frontend (server/demo-frontend)
 * loads the built bundle from the custom node's web directory through the REAL
 * comfy-multi seat gateway (/user/<seat>/), whose UI upstream is the harness server in
 * front of a simulated ComfyUI, while a simulated worker executes the jobs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Job } from '../../lib/job.ts';
import type { SimulatorHandle } from '../../lib/simulator/index.ts';
import type { RunningServer } from '../../server/runtime.ts';
import { buildExtension } from '../../extension/build.ts';
import { type BrowserHandle, launchBrowser } from '../helpers/browser.ts';
import { until } from '../helpers/wait.ts';
import { startUiUpstream, type UiUpstream } from '../../server/demo-ui-upstream.ts';

/** Written in parallel by other helpers: without them there is nothing to run against. */
const REQUIRED = ['lib/simulator/index.ts', 'lib/pool/worker-pool.ts', 'server/runtime.ts', 'server/config.ts', 'server/pool-factory.ts'];
const missing = REQUIRED.filter((path) => !existsSync(new URL(`../../${path}`, import.meta.url)));
const skip = missing.length > 0 ? `waiting for ${missing.join(', ')}` : false;

/** What server/demo-frontend/frontend/main.js exposes for driving the page. */
interface HarnessApi {
  legacy: boolean;
  run(batchCount?: number): Promise<boolean>;
  runFront(batchCount?: number): Promise<boolean>;
  setInput(nodeId: string, name: string, value: unknown): void;
  updateQueue(): Promise<void>;
  runLog(): string[];
}
declare global {
  interface Window {
    harness: HarnessApi;
  }
}

const ADMIN_PASSWORD = 'browser-test-admin';
const SEATS = ['user01', 'user02', 'user03', 'user04', 'user05', 'user06'];
const OUTPUT_IMG = '.node[data-node-id="3"] img.node-output';

describe('comfy-multi extension in the ComfyUI frontend', { skip }, () => {
  let dataDir = '';
  let uiComfy: SimulatorHandle;
  let worker: SimulatorHandle;
  let upstream: UiUpstream;
  let server: RunningServer;
  let browser: BrowserHandle;
  const contexts: BrowserContext[] = [];

  before(async () => {
    await buildExtension();
    const { startSimulator } = await import('../../lib/simulator/index.ts');
    const { loadConfig } = await import('../../server/config.ts');
    const { startServer } = await import('../../server/runtime.ts');
    const { createPool } = await import('../../server/pool-factory.ts');
    dataDir = await mkdtemp(join(tmpdir(), 'cm-browser-'));
    // The UI host ComfyUI (multi-user, like the workshop's) and one GPU worker.
    uiComfy = await startSimulator({ multiUser: true });
    worker = await startSimulator({});
    upstream = await startUiUpstream({ comfyUrl: uiComfy.url });
    const loaded = await loadConfig({
      file: null,
      env: {},
      overrides: {
        listen: { host: '127.0.0.1', port: 0 },
        data_dir: dataDir,
        seats: { count: SEATS.length, prefix: 'user' },
        admin: { password: ADMIN_PASSWORD },
        scheduler: { policy: 'fifo', caps: { max_queued_per_seat: 20, max_depth: 100 } },
        provider: { kind: 'local', workers: [{ id: 'gpu1', url: worker.url }] },
        ui_upstream: { url: upstream.url },
        log_level: 'silent',
      },
    });
    server = await startServer(loaded, { createPool });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await upstream?.close();
    await worker?.close();
    await uiComfy?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Logs a seat in through its access-code link and waits for the frontend (and the extension) to be up. */
  async function openSeat(seat: string, query = ''): Promise<{ page: Page; logs: string[] }> {
    const context = await browser.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (message) => logs.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => logs.push(`pageerror: ${error.message}`));
    const code = server.issuedCodes.get(seat);
    assert.ok(code, `no access code issued for ${seat}`);
    const response = await page.goto(`${server.url}/user/${seat}/?code=${encodeURIComponent(code)}`);
    assert.equal(response?.status(), 200);
    if (query) await page.goto(`${server.url}/user/${seat}/${query}`);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, logs };
  }

  const seatJobs = async (seat: string): Promise<Job[]> => (await server.queue.list({ seat, limit: 50 })).jobs;
  const pauseDispatch = (paused: boolean) => server.queue.updateSettings({ paused: { dispatch: paused } });
  const badgeText = (page: Page) => page.locator('.cm-badge .cm-badge-text');

  /** Waits until the node's output image has really loaded, and returns its URL. */
  async function loadedOutput(page: Page): Promise<string> {
    await page.waitForFunction((selector) => {
      const img = document.querySelector<HTMLImageElement>(selector);
      return img?.complete === true && img.naturalWidth > 0;
    }, OUTPUT_IMG);
    return (await page.getAttribute(OUTPUT_IMG, 'src')) ?? '';
  }

  it('Run goes to the shared queue and the result comes back into the native UI', async () => {
    const { page, logs } = await openSeat('user01');
    await page.click('#run');
    await until(async () => (await seatJobs('user01')).length === 1, 10_000, 'the job in the shared queue');
    const [job] = await seatJobs('user01');

    // Node highlight (progress_state), previews and the output image, all for this job.
    await page.waitForSelector('.node[data-node-id="2"][data-exec-state="running"]');
    const src = await loadedOutput(page);
    assert.ok(src.startsWith('/user/user01/api/view?'), src);
    assert.equal(new URLSearchParams(src.split('?')[1]).get('subfolder')?.startsWith(job!.id), true, src);
    await page.waitForSelector(`#run-state[data-state="success"]`);
    assert.equal(await page.textContent('#active-job'), job!.id);
    assert.equal(await page.getAttribute('.node[data-node-id="2"] .node-preview', 'data-job-id'), job!.id);
    assert.equal(await page.isHidden('.node[data-node-id="2"] .node-preview'), false);
    await page.waitForSelector('.toast[data-severity="success"]');
    assert.match((await page.textContent('.toast[data-severity="success"]')) ?? '', /Job finished/);
    await page.waitForSelector('#queue-remaining:text-is("0")');
    assert.equal((await server.queue.get(job!.id)).state, 'succeeded');
    assert.equal(job!.title, 'harness-graph.json');

    // The UI host itself never ran anything.
    const hostHistory = await (await fetch(`${uiComfy.url}/api/history`)).json();
    assert.deepEqual(hostHistory, {});

    // ComfyUI's queue panel lists the seat's remote job in its /api/jobs shape.
    await page.evaluate(() => window.harness.updateQueue());
    await page.waitForSelector(`#queue-history li[data-id="${job!.id}"][data-status="completed"]`);

    // The "My queue" tab: state, thumbnail and a download of the output.
    await page.click('button[data-tab-id="comfy-multi-queue"]');
    const row = page.locator(`.cm-job[data-job-id="${job!.id}"]`);
    await row.locator('.cm-job-state:text-is("Done")').waitFor();
    await page.waitForFunction((id) => {
      const img = document.querySelector<HTMLImageElement>(`.cm-job[data-job-id="${id}"] img.cm-job-thumb`);
      return img?.complete === true && img.naturalWidth > 0;
    }, job!.id);
    const href = await row.locator('a.cm-job-output').first().getAttribute('href');
    const download = await page.evaluate(async (url) => {
      const res = await fetch(url!);
      return { status: res.status, disposition: res.headers.get('content-disposition') ?? '' };
    }, href);
    assert.equal(download.status, 200);
    assert.match(download.disposition, /attachment/);
    assert.deepEqual(
      logs.filter((line) => line.startsWith('pageerror')),
      [],
    );
  });

  it('the badge shows the place in the queue, then the progress; queue-front goes first', async () => {
    const { page } = await openSeat('user02');
    await page.waitForSelector('.cm-badge[data-state="idle"]');
    await pauseDispatch(true);
    try {
      await page.evaluate(() => {
        const { harness } = window;
        harness.setInput('2', 'steps', 12);
        harness.setInput('2', 'step_ms', 100);
        return harness.run(2);
      });
      await badgeText(page).filter({ hasText: 'Queued #1 of 2' }).waitFor();
      await page.locator('.cm-badge-eta', { hasText: 'paused by the instructor' }).waitFor();
      assert.equal(await page.textContent('.cm-badge-more'), '+1 more');
      assert.equal(await page.textContent('#queue-remaining'), '2');
      const [second, first] = await seatJobs('user02');

      await page.evaluate(() => window.harness.runFront(1));
      await until(async () => (await seatJobs('user02')).length === 3, 5_000, 'the queue-front job');
      const front = (await seatJobs('user02'))[0]!;
      const order = (await server.queue.snapshot()).queued.map((entry) => entry.id);
      assert.deepEqual(order, [front.id, first!.id, second!.id]);
      await badgeText(page).filter({ hasText: 'Queued #1 of 3' }).waitFor();
    } finally {
      await pauseDispatch(false);
    }
    await page.locator('.cm-badge[data-state="running"] .cm-badge-text', { hasText: /Running \d+%/ }).waitFor();
    assert.notEqual(await page.textContent('.cm-badge-eta'), 'paused by the instructor');
    await badgeText(page).filter({ hasText: 'Queue idle' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(
      (await seatJobs('user02')).map((job) => job.state),
      ['succeeded', 'succeeded', 'succeeded'],
    );
  });

  it('cancel works from the My queue tab (queued) and from Stop and the badge (running)', async () => {
    const { page, logs } = await openSeat('user03');
    await pauseDispatch(true);
    try {
      await page.evaluate(() => {
        const { harness } = window;
        harness.setInput('2', 'steps', 200);
        harness.setInput('2', 'step_ms', 100);
        return harness.run(3);
      });
      await badgeText(page).filter({ hasText: 'Queued #1 of 3' }).waitFor();
      const [last] = await seatJobs('user03');
      await page.click('button[data-tab-id="comfy-multi-queue"]');
      await page.locator(`.cm-job[data-job-id="${last!.id}"] .cm-job-cancel`).click();
      await page.locator(`.cm-job[data-job-id="${last!.id}"][data-state="cancelled"]`).waitFor();
      assert.equal((await server.queue.get(last!.id)).state, 'cancelled');
    } finally {
      await pauseDispatch(false);
    }
    // The first job runs: Stop (api.interrupt with the active job id) cancels it on the worker.
    await page.waitForSelector('#run-state[data-state="running"]');
    await page.locator('.cm-badge[data-state="running"]').waitFor();
    const running = (await seatJobs('user03')).find((job) => job.state === 'running')!;
    await page.click('#stop');
    // The next job may start right after, so look for the interruption in the run log.
    await page.waitForFunction((id) => window.harness.runLog().includes(`interrupted:${id}`), running.id);
    await until(async () => (await server.queue.get(running.id)).state === 'cancelled', 10_000, 'the running job cancelled');
    // The next one starts; the badge's Cancel button ends it.
    await until(async () => (await seatJobs('user03')).some((job) => job.state === 'running'), 10_000, 'the next job running');
    await page.locator('.cm-badge[data-state="running"] .cm-badge-cancel').click();
    await badgeText(page).filter({ hasText: 'Queue idle' }).waitFor();
    assert.deepEqual(
      (await seatJobs('user03')).map((job) => job.state),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    // Cancels pressed on this page do not toast.
    assert.equal(await page.locator('.toast[data-severity="warn"]').count(), 0);
    assert.ok(worker.stats.interrupts >= 1, 'the worker was interrupted');
    assert.deepEqual(
      logs.filter((line) => line.startsWith('pageerror')),
      [],
    );
  });

  for (const frontend of ['jobs', 'legacy'] as const) {
    it(`a rejected prompt shows its node errors natively (${frontend} frontend)`, async () => {
      const seat = frontend === 'jobs' ? 'user04' : 'user05';
      const { page } = await openSeat(seat, frontend === 'legacy' ? '?frontend=legacy' : '');
      assert.equal(await page.evaluate(() => window.harness.legacy), frontend === 'legacy');
      await page.evaluate(() => window.harness.setInput('2', 'preview_format', 'GIF'));
      await page.click('#run');
      await page.waitForSelector('.node[data-node-id="2"][data-error="true"]');
      assert.match((await page.textContent('.node[data-node-id="2"] .node-error')) ?? '', /preview_format/);
      assert.equal(await page.isVisible('#error-dialog'), true);
      assert.match((await page.textContent('#error-dialog .title')) ?? '', /400/);
      assert.deepEqual(await seatJobs(seat), []);

      // Fixed, it runs; the queue panel gets the seat's job in this frontend's own shape.
      await page.evaluate(() => window.harness.setInput('2', 'preview_format', 'JPEG'));
      await page.click('#run');
      await loadedOutput(page);
      assert.equal(await page.locator('.node[data-error="true"]').count(), 0);
      const [job] = await seatJobs(seat);
      await until(async () => (await server.queue.get(job!.id)).state === 'succeeded', 10_000, 'the job to succeed');
      await page.evaluate(() => window.harness.updateQueue());
      await page.waitForSelector(`#queue-history li[data-id="${job!.id}"][data-status="${frontend === 'legacy' ? 'History' : 'completed'}"]`);
    });
  }

  it('after a reload the badge comes back and the result is still delivered', async () => {
    const { page } = await openSeat('user06');
    await pauseDispatch(true);
    try {
      await page.evaluate(() => {
        const { harness } = window;
        harness.setInput('2', 'steps', 25);
        harness.setInput('2', 'step_ms', 120);
        return harness.run(1);
      });
      await badgeText(page).filter({ hasText: 'Queued #1 of 1' }).waitFor();
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await badgeText(page).filter({ hasText: 'Queued #1 of 1' }).waitFor();
    } finally {
      await pauseDispatch(false);
    }
    const [job] = await seatJobs('user06');
    // Reload again while it runs: the page adopts the running job.
    await page.locator('.cm-badge[data-state="running"]').waitFor();
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('.cm-badge[data-state="running"]').waitFor();
    await loadedOutput(page);
    await page.waitForSelector('#run-state[data-state="success"]');
    assert.equal(await page.textContent('#active-job'), job!.id);
    await page.waitForSelector('.toast[data-severity="success"]');
    await badgeText(page).filter({ hasText: 'Queue idle' }).waitFor();
  });

  it('shows the instructor’s announcements as toasts', async () => {
    const { page } = await openSeat('user01');
    await page.locator('.cm-badge[data-state="idle"]').waitFor();
    const login = await fetch(`${server.url}/api/v1/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .join('; ');
    const posted = await fetch(`${server.url}/api/v1/admin/announcements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ text: 'Coffee break in 5 minutes' }),
    });
    assert.equal(posted.ok, true);
    await page.locator('.toast[data-severity="info"]', { hasText: 'Coffee break in 5 minutes' }).waitFor();
  });
});

describe('comfy-multi extension on a plain ComfyUI', { skip: existsSync(new URL('../../lib/simulator/index.ts', import.meta.url)) ? false : 'waiting for lib/simulator/index.ts' }, () => {
  it('stays inert with one console line, and Run keeps working locally', async () => {
    await buildExtension();
    const { startSimulator } = await import('../../lib/simulator/index.ts');
    const comfy = await startSimulator({});
    const upstream = await startUiUpstream({ comfyUrl: comfy.url });
    const browser = await launchBrowser();
    try {
      const page = await browser.browser.newPage();
      const logs: string[] = [];
      page.on('console', (message) => logs.push(message.text()));
      await page.goto(`${upstream.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      assert.deepEqual(
        logs.filter((line) => line.includes('[comfy-multi]')),
        ['[comfy-multi] no comfy-multi server here; extension inactive'],
      );
      const untouched = await page.evaluate(() => {
        const api = (window as unknown as { comfyAPI: { api: { api: Record<string, unknown> } } }).comfyAPI.api.api;
        const proto = Object.getPrototypeOf(api) as Record<string, unknown>;
        return ['queuePrompt', 'getQueue', 'getHistory', 'interrupt', 'dispatchCustomEvent'].every((name) => !Object.hasOwn(api, name) && api[name] === proto[name]);
      });
      assert.equal(untouched, true);
      assert.equal(await page.locator('.cm-badge').count(), 0);
      await page.click('#run');
      await page.waitForFunction((selector) => {
        const img = document.querySelector<HTMLImageElement>(selector);
        return img?.complete === true && img.naturalWidth > 0;
      }, OUTPUT_IMG);
      assert.equal(comfy.stats.promptsExecuted, 1);
    } finally {
      await browser.close();
      await upstream.close();
      await comfy.close();
    }
  });
});
