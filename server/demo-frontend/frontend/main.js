// Boots the harness in the order of ComfyApp.setup (B.1): window.comfyAPI (read by the
// /scripts shims), extensions imported from /api/extensions, api.init() (the UI host's
// own socket), then the init and setup hooks.
import { JobsComfyApi, LegacyComfyApi, PromptExecutionError, UnauthorizedError } from './api.js';
import { ComfyApp } from './app.js';
import { NativeUi } from './native-ui.js';

const legacy = new URLSearchParams(location.search).get('frontend') === 'legacy';
const api = legacy ? new LegacyComfyApi() : new JobsComfyApi();
const ui = new NativeUi(api);
const graph = await (await fetch(api.fileURL('/graph.json'), { cache: 'no-store' })).json();
const app = new ComfyApp(api, ui, graph, { legacy });

window.comfyAPI = {
  api: { api, ComfyApi: api.constructor, UnauthorizedError, ...(legacy ? {} : { PromptExecutionError }) },
  app: { app, ComfyApp },
};
window.app = app;

/** What tests drive: Run with a batch count, queue-front, widget edits, the open queue tab. */
window.harness = {
  legacy,
  run: (batchCount = 1) => app.queuePrompt(0, batchCount),
  runFront: (batchCount = 1) => app.queuePrompt(-1, batchCount),
  stop: () => api.interrupt(ui.activeJobId),
  setInput(nodeId, name, value) {
    graph.prompt[nodeId].inputs[name] = value;
  },
  toggleTab: (id) => ui.toggleTab(id),
  updateQueue: () => ui.updateQueue(),
  runLog: () => [...ui.runLog],
  ready: false,
};

document.getElementById('run').addEventListener('click', () => app.queuePrompt(0, Number(document.getElementById('batch-count').value) || 1));
document.getElementById('run-front').addEventListener('click', () => app.queuePrompt(-1, Number(document.getElementById('batch-count').value) || 1));
document.getElementById('stop').addEventListener('click', () => window.harness.stop());

ui.renderGraph(graph.prompt);
await app.loadExtensions();
ui.listen();
api.init();
await app.invokeExtensionsAsync('init');
await app.invokeExtensionsAsync('setup');
window.harness.ready = true;
document.body.dataset.ready = 'true';
