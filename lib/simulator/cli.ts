/**
 * `comfy-multi simulate`: runs one simulated ComfyUI until SIGINT/SIGTERM.
 */
import { QueueError } from '../errors.ts';
import type { SimulatorOptions } from './index.ts';

const USAGE = `Usage: comfy-multi simulate [options]

Runs a simulated ComfyUI server (HTTP + WebSocket API, no models) until Ctrl-C.

Options:
  --port <n>              port to listen on (default 8188; 0 = any free port)
  --host <addr>           address to listen on (default 127.0.0.1)
  --version <v>           protocol generation: 0.8.0 (default) or 0.38.1
  --data <dir>            data directory holding input/, output/, temp/, user/ (default: a temp dir)
  --node-ms <n>           simulated execution time per node in ms (default 5)
  --preview-method <m>    none | auto | latent2rgb | taesd (default auto)
  --multi-user            like ComfyUI's --multi-user
  --help                  show this help
`;

function parse(argv: string[]): SimulatorOptions | 'help' {
  const options: SimulatorOptions = { port: 8188 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new QueueError('invalid_request', `${arg} needs a value (see --help)`, { field: arg });
      return v;
    };
    const number = (): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isFinite(n) || text.trim() === '') throw new QueueError('invalid_request', `${arg} expects a number, got "${text}"`, { field: arg });
      return n;
    };
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        options.port = number();
        break;
      case '--host':
        options.host = value();
        break;
      case '--version':
        options.version = value() as SimulatorOptions['version'];
        break;
      case '--data':
        options.dataDir = value();
        break;
      case '--node-ms':
        options.nodeMs = number();
        break;
      case '--preview-method':
        options.previewMethod = value() as SimulatorOptions['previewMethod'];
        break;
      case '--multi-user':
        options.multiUser = true;
        break;
      default:
        throw new QueueError('invalid_request', `unknown option ${arg} (see --help)`, { field: arg });
    }
  }
  return options;
}

export async function runSimulatorCli(argv: string[]): Promise<void> {
  const options = parse(argv);
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const { startSimulator } = await import('./index.ts');
  const sim = await startSimulator(options);
  process.stdout.write(`ComfyUI simulator (${options.version ?? '0.8.0'}) listening on ${sim.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
}
