/**
 * The instructor panel in real Chromium against a real server with three
 * simulated ComfyUI workers. Every control is driven through the page and its
 * effect is checked through the API, the way another client would see it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { SimulatorHandle } from '../../lib/simulator/index.ts';
import type { RunningServer } from '../../server/runtime.ts';
import { type BrowserHandle, launchBrowser } from '../helpers/browser.ts';
import { until } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = join(ROOT, 'docs/img/admin.png');

/** The modules this test drives; while one is missing the test says which instead of pretending. */
const NEEDED = ['server/runtime.ts', 'server/pool-factory.ts', 'server/config.ts', 'lib/simulator/index.ts', 'tests/server/harness.ts'];
const missing = NEEDED.filter((path) => !existsSync(join(ROOT, path)));
const skip = missing.length ? `waiting for ${missing.join(', ')} (server and simulator, issues 3 and 4)` : false;

type Harness = typeof import('../server/harness.ts');
type JobJson = { id: string; seat: string; title: string | null; state: string; priority: string; position: number | null };
type QueueJson = { entries: { id?: string; position: number }[]; paused: { submissions: boolean; dispatch: boolean } };

/** ComfyUI's default text-to-image graph; the seed makes every job's previews look different. */
function textToImage(seed: number) {
  return {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: CHECKPOINT } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 1024, height: 1024, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse on a cliff at dusk, oil painting', clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry, text', clip: ['4', 1] } },
    '3': {
      class_type: 'KSampler',
      inputs: { seed, steps: 24, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
  };
}

const CHECKPOINT = 'sd_xl_base_1.0.safetensors';
/** About five seconds of sampling per job, in 24 steps with a preview each: long enough to watch. */
const SIMULATOR = {
  name: 'cuda:0 NVIDIA H100 80GB HBM3',
  models: { checkpoints: [CHECKPOINT] },
  nodeMs: (classType: string) => (classType === 'KSampler' ? 4800 : 10),
  samplerSteps: 24,
};

const SEATS = ['user01', 'user02', 'user03', 'user04', 'user05', 'user06'];
const TITLES = ['sdxl_portrait', 'flux_dev_t2i', 'wan2_2_t2v', 'sd15_inpaint', 'hunyuan_video', 'ltxv_i2v', 'qwen_image_edit', 'z_image_turbo'];

describe('instructor admin panel', { skip }, () => {
  let harness: Harness;
  let dir: string;
  let distDir: string;
  let sims: SimulatorHandle[] = [];
  let server: RunningServer;
  let base: string;
  let admin: { cookie: string };
  let browser: BrowserHandle;
  let context: BrowserContext;
  let page: Page;
  let port = 0;
  let submitted = 0;

  async function start(): Promise<void> {
    const { loadConfig } = await import('../../server/config.ts');
    const { startServer } = await import('../../server/runtime.ts');
    const { createPool } = await import('../../server/pool-factory.ts');
    const loaded = await loadConfig({
      file: null,
      env: {},
      overrides: {
        listen: { host: '127.0.0.1', port },
        data_dir: dir,
        store: { kind: 'sqlite', path: 'queue.db' },
        seats: { count: SEATS.length, prefix: 'user' },
        admin: { password: harness.ADMIN_PASSWORD },
        scheduler: { policy: 'round_robin', caps: { max_queued_per_seat: 20, max_depth: 200 } },
        provider: { kind: 'local', workers: sims.map((sim, i) => ({ id: `gpu${i}`, url: sim.url })) },
        log_level: 'silent',
      },
    });
    server = await startServer(loaded, { createPool, adminDist: distDir });
    port = server.port;
    base = server.url;
  }

  const api = (method: string, path: string, body?: unknown, auth: { cookie: string } | undefined = admin) =>
    harness.call(base, method, path, { ...(auth ? { auth } : {}), ...(body === undefined ? {} : { body }) });

  async function submit(seat: string, title: string): Promise<JobJson> {
    submitted += 1;
    const answer = await api('POST', '/api/v1/jobs', { prompt: textToImage(submitted), seat, title, preview_method: 'auto' });
    assert.equal(answer.status, 201, answer.text);
    return answer.body as JobJson;
  }

  const queueIds = async (): Promise<string[]> =>
    ((await api('GET', '/api/v1/queue')).body as QueueJson).entries.map((e) => e.id!);
  const jobOf = async (id: string): Promise<JobJson> => (await api('GET', `/api/v1/jobs/${id}`)).body as JobJson;
  const row = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
  const nameOf = (job: JobJson) => `${job.title} (${job.seat})`;
  /** The table shows the job at this position (the instructor acts on what is shown). */
  const shownAt = (id: string, position: number) =>
    until(async () => (await row(id).locator('td.pos').textContent())?.trim() === String(position), 5000, `row at ${position}`);

  /** The confirmation dialog must appear; answer it with the named button. */
  async function confirm(button: string): Promise<void> {
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: button, exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** The newest toast must say this (successes and the server's own errors alike). */
  async function toastSays(text: string | RegExp): Promise<void> {
    await until(
      async () => {
        const texts = await page.locator('cm-toasts .toast p').allTextContents();
        return texts.some((t) => (typeof text === 'string' ? t.includes(text) : text.test(t)));
      },
      10_000,
      `a toast saying ${text}`,
    );
  }

  before(async () => {
    if (skip) return;
    harness = await import('../server/harness.ts');
    const { startSimulator } = await import('../../lib/simulator/index.ts');
    const { build } = await import('vite');
    dir = await mkdtemp(join(tmpdir(), 'cm-admin-ui-'));
    distDir = join(dir, 'admin-dist');
    // Built here, from the sources, so a clean clone tests what it ships.
    await build({ configFile: join(ROOT, 'web-admin/vite.config.ts'), logLevel: 'silent', build: { outDir: distDir, emptyOutDir: true } });
    sims = await Promise.all([0, 1, 2].map(() => startSimulator(SIMULATOR)));
    await start();
    admin = await harness.loginAdmin(base);
    browser = await launchBrowser();
    context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all(sims.map((sim) => sim.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('asks for the admin password and shows the server’s answer to a wrong one', async () => {
    await page.goto(`${base}/admin/`);
    const wrong = await harness.call(base, 'POST', '/api/v1/admin/session', { body: { password: 'not-the-password' } });
    assert.equal(wrong.status, 401);
    await page.getByLabel('Admin password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.locator('cm-login [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), (wrong.body as { error: { message: string } }).error.message);

    await page.getByLabel('Admin password').fill(harness.ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-role="connection"]', { hasText: 'Live' }).waitFor();
    await until(async () => (await page.locator('cm-workers-panel article[data-worker]').count()) === 3, 10_000, 'three workers listed');
  });

  it('pausing dispatch holds a populated queue with seat, workflow, state, position, wait, ETA and attempts', async () => {
    await page.getByRole('button', { name: 'Pause dispatch' }).click();
    await toastSays('Dispatch to workers paused');
    assert.equal(((await api('GET', '/api/v1/admin/scheduler')).body as QueueJson).paused.dispatch, true);
    await page.locator('cm-status-bar [data-role="dispatch"]', { hasText: 'Dispatch paused' }).waitFor();

    for (const [i, title] of TITLES.slice(0, 6).entries()) await submit(SEATS[i % 4]!, title);
    const ids = await queueIds();
    assert.equal(ids.length, 6);
    await until(async () => (await page.locator('cm-queue-panel tr[data-state="queued"]').count()) === 6, 10_000, 'six queued rows');
    const first = await jobOf(ids[0]!);
    await shownAt(first.id, 1);
    const cells = await row(first.id).locator('td').allTextContents();
    assert.equal(cells[1]?.trim(), '1', 'position');
    assert.equal(cells[2]?.trim(), first.title);
    assert.equal(cells[3]?.trim(), first.seat);
    assert.match(cells[4] ?? '', /queued/);
    assert.match(cells[6] ?? '', /^\d+s$|^\d+m \d\ds$/, 'waited so far');
    assert.match(cells[7] ?? '', /no history yet|s/, 'ETA');
    assert.equal(cells[8]?.trim(), '0', 'attempts');
  });

  it('drag and drop moves a job to the dropped-on position', async () => {
    const before = await queueIds();
    const third = before[2]!;
    // Grabbed by its handle, as a person would: the row's middle is the priority select.
    await row(third).locator('td.handle').dragTo(row(before[0]!));
    await until(async () => (await queueIds())[0] === third, 10_000, 'the dragged job to be first');
    await until(async () => (await page.locator('cm-queue-panel tr[data-state="queued"]').first().getAttribute('data-job-id')) === third, 5000, 'the table to follow');
  });

  it('moves jobs up, down and to the front from the keyboard', async () => {
    const order = await queueIds();
    const second = await jobOf(order[1]!);
    await page.getByRole('button', { name: `Move ${nameOf(second)} down` }).focus();
    await page.keyboard.press('Enter');
    await until(async () => (await queueIds())[2] === second.id, 10_000, 'move down');
    await shownAt(second.id, 3);

    await page.getByRole('button', { name: `Move ${nameOf(second)} up` }).focus();
    await page.keyboard.press('Enter');
    await until(async () => (await queueIds())[1] === second.id, 10_000, 'move up');
    await shownAt(second.id, 2);

    const last = await jobOf(order[5]!);
    await page.getByRole('button', { name: `Move ${nameOf(last)} to the front` }).focus();
    await page.keyboard.press('Space');
    await until(async () => (await queueIds())[0] === last.id, 10_000, 'move to front');
    await toastSays(`${nameOf(last)} moved to the front`);
  });

  it('changes a job’s priority class', async () => {
    const job = await jobOf((await queueIds())[3]!);
    await page.getByLabel(`Priority of ${nameOf(job)}`).selectOption('high');
    await until(async () => (await jobOf(job.id)).priority === 'high', 10_000, 'priority high');
    await toastSays('is now high priority');
  });

  it('cancelling asks first: "Keep it" changes nothing, confirming cancels the job', async () => {
    const job = await jobOf((await queueIds())[4]!);
    await page.getByRole('button', { name: `Cancel ${nameOf(job)}` }).click();
    await confirm('Keep it');
    assert.equal((await jobOf(job.id)).state, 'queued');

    await page.getByRole('button', { name: `Cancel ${nameOf(job)}` }).click();
    await confirm('Cancel job');
    await until(async () => (await jobOf(job.id)).state === 'cancelled', 10_000, 'cancelled');
    await toastSays(`${nameOf(job)} cancelled`);
    await row(job.id).waitFor({ state: 'detached' });
  });

  it('filters by seat and state, and cancels all of one seat’s jobs', async () => {
    await submit('user02', 'sdxl_refiner');
    const ofSeat = ((await api('GET', '/api/v1/jobs?seat=user02&state=queued')).body as { jobs: JobJson[] }).jobs.length;
    assert.ok(ofSeat >= 2);
    const seatFilter = page.locator('cm-queue-panel select[name="seat-filter"]');
    const stateFilter = page.locator('cm-queue-panel select[name="state-filter"]');
    await seatFilter.selectOption('user02');
    await until(async () => {
      const seats = await page.locator('cm-queue-panel tbody tr td:nth-child(4)').allTextContents();
      return seats.length === ofSeat && seats.every((s) => s.trim() === 'user02');
    }, 5000, 'only user02 rows');

    await stateFilter.selectOption('cancelled');
    await seatFilter.selectOption('');
    await until(async () => (await page.locator('cm-queue-panel tbody tr').count()) === 1, 5000, 'the one cancelled job');
    await stateFilter.selectOption('active');
    await seatFilter.selectOption('user02');

    await page.getByRole('button', { name: 'Cancel all of user02\'s jobs' }).click();
    await confirm('Cancel all');
    await toastSays(`${ofSeat} jobs of user02 cancelled`);
    const left = (await api('GET', '/api/v1/jobs?seat=user02&state=queued,dispatching,running')).body as { jobs: JobJson[] };
    assert.deepEqual(left.jobs, []);
    await until(async () => (await page.locator('cm-queue-panel tbody tr').count()) === 0, 5000, 'no user02 rows left');
    await seatFilter.selectOption('');
  });

  it('switches the scheduling policy and saves the caps', async () => {
    await page.getByRole('radio', { name: /Priority classes/ }).check();
    await until(async () => ((await api('GET', '/api/v1/admin/scheduler')).body as { policy: string }).policy === 'priority', 10_000, 'policy priority');
    await page.locator('cm-status-bar [data-role="policy"]', { hasText: 'Priority classes' }).waitFor();

    await page.getByLabel('Max queued per seat').fill('12');
    await page.getByLabel('Max queue depth').fill('150');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await toastSays('Caps saved');
    const { caps } = (await api('GET', '/api/v1/admin/scheduler')).body as { caps: { max_queued_per_seat: number; max_depth: number } };
    assert.deepEqual(caps, { max_queued_per_seat: 12, max_depth: 150 });

    // A cap the server refuses comes back as its own message.
    await page.getByLabel('Max queue depth').fill('99999999');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await until(async () => (await page.locator('cm-toasts [data-kind="error"]').count()) > 0, 10_000, 'an error toast');
    assert.match((await page.locator('cm-toasts [data-kind="error"] p').last().textContent()) ?? '', /^Saving the caps failed: .+/);
    await page.getByLabel('Max queue depth').fill('150');
  });

  it('pausing submissions makes new jobs answer 409 until resumed', async () => {
    await page.getByRole('button', { name: 'Pause submissions' }).click();
    await page.locator('cm-scheduler-panel [data-role="submissions-state"]', { hasText: 'paused' }).waitFor();
    const refused = await api('POST', '/api/v1/jobs', { prompt: harness.PROMPT, seat: 'user01' });
    assert.equal(refused.status, 409, refused.text);

    await page.getByRole('button', { name: 'Resume submissions' }).click();
    await page.locator('cm-scheduler-panel [data-role="submissions-state"]', { hasText: 'open' }).waitFor();
    // Enough work that the queue stays deep while three workers run and hold their next job.
    for (let i = 0; i < 12; i++) await submit(SEATS[(i + 2) % SEATS.length]!, TITLES[(i + 3) % TITLES.length]!);
  });

  it('sends an announcement: it is in the history and reaches a seat’s event stream', async () => {
    const seatAuth = await harness.loginSeat(base, 'user03', server.issuedCodes.get('user03')!);
    const events = await harness.EventClient.open(base, '/api/v1/events', seatAuth);
    try {
      const text = 'Ten minute break: the queue keeps running.';
      await page.getByLabel('Message to every seat').fill(text);
      await page.getByRole('button', { name: 'Send announcement' }).click();
      const received = await events.next((e) => e['type'] === 'announcement', 10_000);
      assert.equal((received['announcement'] as { text: string }).text, text);
      const history = (await api('GET', '/api/v1/admin/announcements')).body as { announcements: { text: string }[] };
      assert.ok(history.announcements.some((a) => a.text === text));
      await page.locator('cm-announcements-panel li', { hasText: text }).waitFor();
      assert.equal(await page.getByLabel('Message to every seat').inputValue(), '', 'the draft is cleared once sent');
    } finally {
      await events.close();
    }
  });

  it('resuming dispatch shows every worker’s job with live progress and its latest preview', async () => {
    await page.getByRole('button', { name: 'Resume dispatch' }).click();
    await toastSays('Dispatch to workers resumed');
    const cards = page.locator('cm-running-panel article[data-worker]');
    await until(async () => (await cards.count()) === 3, 20_000, 'three running cards');
    await until(
      async () => (await page.locator('cm-running-panel article img[src^="blob:"]').count()) === 3,
      20_000,
      'a live preview on every card',
    );
    const progressOf = async () => Number.parseInt((await cards.first().locator('[data-role="progress"]').textContent()) ?? '', 10);
    const firstSeen = await progressOf();
    await until(async () => (await progressOf()) > firstSeen, 10_000, 'progress to move');
    const runningJob = await cards.first().getAttribute('data-job-id');
    assert.equal((await jobOf(runningJob!)).state, 'running');

    // Once a job of this workflow has finished, the queue shows ETAs learned from it.
    await until(
      async () => (await page.locator('cm-queue-panel tr[data-state="queued"] td:nth-child(8)', { hasText: /\d+s–/ }).count()) > 0,
      20_000,
      'an ETA range in the queue',
    );
    await until(async () => (await page.locator('cm-running-panel article img[src^="blob:"]').count()) === 3, 10_000, 'three previews again');
    await until(async () => (await progressOf()) >= 40, 10_000, 'the jobs to be well under way');

    // The README's picture: a full queue, three busy workers, live previews.
    const dismiss = page.getByRole('button', { name: 'Dismiss message' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await mkdir(join(ROOT, 'docs/img'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('drains a busy worker and enables it again', async () => {
    const card = page.locator('cm-workers-panel article[data-state="busy"]').first();
    const id = (await card.getAttribute('data-worker'))!;
    await page.getByRole('button', { name: `Drain ${id}` }).click();
    await confirm('Drain worker');
    const workers = async () => ((await api('GET', '/api/v1/admin/workers')).body as { workers: { id: string; state: string }[] }).workers;
    const stateOf = async () => (await workers()).find((w) => w.id === id)?.state;
    assert.ok(['draining', 'disabled'].includes((await stateOf())!), 'draining right away');
    await page.locator(`cm-workers-panel article[data-worker="${id}"] [data-role="state"]`, { hasText: /draining|disabled/ }).waitFor();

    await page.getByRole('button', { name: `Enable ${id}` }).click();
    await until(async () => ['ready', 'busy', 'starting'].includes((await stateOf())!), 10_000, 'worker enabled');
    await toastSays(`${id} is taking jobs again`);
  });

  it('rotates a seat’s code (old code refused, new one works) and copies its link with the code', async () => {
    const seat = 'user05';
    const oldCode = server.issuedCodes.get(seat)!;
    await harness.loginSeat(base, seat, oldCode);
    await page.getByRole('button', { name: `Rotate access code of ${seat}` }).click();
    await confirm('Rotate code');
    const shown = page.locator(`cm-seats-panel .revealed[data-seat="${seat}"] [data-role="code"]`);
    await shown.waitFor();
    const newCode = (await shown.textContent())!.trim();
    assert.notEqual(newCode, oldCode);
    assert.equal((await harness.call(base, 'POST', '/api/v1/session', { body: { seat, code: oldCode } })).status, 401);
    await harness.loginSeat(base, seat, newCode);

    await page.locator(`cm-seats-panel .revealed[data-seat="${seat}"]`).getByRole('button', { name: 'Copy link' }).click();
    await toastSays(`Link for ${seat} (with its code) copied`);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const link = new URL(copied);
    assert.equal(link.pathname, `/user/${seat}/`);
    assert.equal(link.searchParams.get('code'), newCode);
    // The link itself logs the seat in.
    const visit = await fetch(copied, { redirect: 'manual' });
    assert.equal(visit.status, 302);

    await page.locator(`cm-seats-panel .revealed[data-seat="${seat}"]`).getByRole('button', { name: 'Hide code' }).click();
    await page.locator(`cm-seats-panel .revealed[data-seat="${seat}"]`).waitFor({ state: 'detached' });
    assert.equal(await page.getByText(newCode).count(), 0, 'the code is gone from the page');
  });

  it('cancels all of a seat’s jobs from its row', async () => {
    const seat = 'user06';
    await submit(seat, 'sdxl_portrait');
    await submit(seat, 'flux_dev_t2i');
    const active = async () => ((await api('GET', `/api/v1/jobs?seat=${seat}&state=queued,dispatching,running`)).body as { jobs: JobJson[] }).jobs;
    const cancelAll = page.getByRole('button', { name: `Cancel all jobs of ${seat}` });
    await until(async () => await cancelAll.isEnabled(), 15_000, 'the seat row to count its jobs');
    await cancelAll.click();
    await confirm('Cancel all');
    await toastSays(new RegExp(`\\d+ jobs? of ${seat} cancelled`));
    await until(async () => (await active()).length === 0, 10_000, `no active jobs of ${seat}`);
  });

  it('disables a seat (its submissions are refused) and enables it again', async () => {
    const seat = 'user06';
    const seatAuth = await harness.loginSeat(base, seat, server.issuedCodes.get(seat)!);
    await page.getByRole('button', { name: `Disable ${seat}` }).click();
    await confirm('Disable seat');
    const seats = async () => ((await api('GET', '/api/v1/admin/seats')).body as { seats: { seat: string; disabled: boolean }[] }).seats;
    await until(async () => (await seats()).find((s) => s.seat === seat)?.disabled === true, 10_000, 'seat disabled');
    const refused = await api('POST', '/api/v1/jobs', { prompt: harness.PROMPT }, seatAuth);
    assert.ok(refused.status >= 400 && refused.status < 500, `a disabled seat is refused (got ${refused.status})`);

    await page.getByRole('button', { name: `Enable ${seat}` }).click();
    await until(async () => (await seats()).find((s) => s.seat === seat)?.disabled === false, 10_000, 'seat enabled');
    await toastSays(`${seat} is enabled`);
  });

  it('draws the last hour: queue depth, wait, jobs per seat and worker utilisation', async () => {
    await until(async () => ((await api('GET', '/api/v1/admin/stats')).body as { jobs_per_seat: Record<string, number> }).jobs_per_seat['user03'] !== undefined, 30_000, 'stats to count a job');
    await page.getByRole('button', { name: 'Refresh stats' }).click();
    const perSeat = page.locator('cm-stats-panel cm-bar-chart[label="Jobs per seat in the last hour"] svg');
    await until(async () => /user03 \d+/.test((await perSeat.getAttribute('aria-label')) ?? ''), 10_000, 'jobs per seat drawn');
    assert.ok((await perSeat.locator('rect.bar').count()) > 0);
    const utilisation = page.locator('cm-stats-panel cm-bar-chart[label="Worker utilisation"] svg');
    assert.match((await utilisation.getAttribute('aria-label')) ?? '', /gpu0 \d+%/);
    const depth = page.locator('cm-stats-panel cm-line-chart[label="Queue depth over the last hour"] svg');
    assert.match((await depth.getAttribute('aria-label')) ?? '', /Queue depth over the last hour: /);
  });

  it('switches between system, light and dark themes', async () => {
    const theme = () => page.evaluate(() => document.documentElement.dataset['theme'] ?? 'system');
    const button = page.locator('cm-theme-toggle button');
    assert.equal(await theme(), 'system');
    await button.click();
    assert.equal(await theme(), 'light');
    await button.click();
    assert.equal(await theme(), 'dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(15, 18, 24)');
    await button.click();
    assert.equal(await theme(), 'system');
  });

  it('shows when it is offline and reconnects by itself when the server is back', async () => {
    await server.close();
    await page.locator('[data-role="connection"]', { hasText: 'Offline' }).waitFor({ timeout: 10_000 });
    await start();
    await page.locator('[data-role="connection"]', { hasText: 'Live' }).waitFor({ timeout: 20_000 });
    // Still signed in, and the state is reloaded from the new process.
    await until(async () => (await page.locator('cm-workers-panel article[data-worker]').count()) === 3, 10_000, 'workers again');

    // Down for longer: the retries back off, and "Reconnect now" skips the wait.
    await server.close();
    await page.locator('[data-role="connection"]', { hasText: /retrying in [3-9]s/ }).waitFor({ timeout: 15_000 });
    await start();
    await page.getByRole('button', { name: 'Reconnect now' }).click();
    await page.locator('[data-role="connection"]', { hasText: 'Live' }).waitFor({ timeout: 10_000 });
  });

  it('signs out: the panel returns to the sign-in form and the session is gone', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin password').waitFor();
    const cookies = await context.cookies(base);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.equal((await harness.call(base, 'GET', '/api/v1/session', { auth: { cookie } })).status, 401);
  });
});
