/**
 * A local stand-in for Verda's public REST API (https://api.verda.com/v1), written from
 * its documentation and SDKs: OAuth2 client credentials at POST /oauth2/token, Bearer
 * tokens, the instances list/detail/deploy/action endpoints, instance types and
 * availability, and `{code, message}` error bodies. Instances move through
 * ordered → provisioning → running one status per look, like a real deploy does over minutes.
 */
import { randomUUID } from 'node:crypto';
import { listen, readJson, sendJson, sendText } from './fake-http.ts';

export interface FakeInstance {
  id: string;
  instance_type: string;
  image: string;
  hostname: string;
  description: string;
  location: string;
  status: string;
  ip: string | null;
  ssh_key_ids: string[];
  startup_script_id: string | null;
  created_at: string;
  price_per_hour: number;
  /** Statuses still to come, one per look at the instance. */
  next: string[];
}

export interface FakeVerdaOptions {
  clientId: string;
  clientSecret: string;
  /** The address new instances get when they run (127.0.0.1, where the test's ComfyUI listens). */
  ip?: string;
  tokenLifetimeS?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeVerda {
  /** The API base, like https://api.verda.com/v1 */
  url: string;
  requests: RecordedRequest[];
  instances: Map<string, FakeInstance>;
  tokensIssued: number;
  /** Instance types sold out when false. */
  available: boolean;
  /** New and started instances stay in provisioning (or go to this status) instead of running. */
  stuckAt: string | null;
  /** The next POST /instances answers this instead of deploying. */
  failNextDeploy: { status: number; body: unknown } | null;
  /** Every access token issued so far stops working (as after a revocation). */
  revokeTokens(): void;
  /** An instance that exists already, e.g. one left shut down from yesterday. */
  addInstance(fields: Partial<FakeInstance> & { hostname: string; status: string }): FakeInstance;
  close(): Promise<void>;
}

const INSTANCE_TYPES = ['1H100.80S.22V', '2H100.80S.44V', '1A100.40S.22V'];

export async function startFakeVerda(options: FakeVerdaOptions): Promise<FakeVerda> {
  const ip = options.ip ?? '127.0.0.1';
  const tokens = new Set<string>();
  const instances = new Map<string, FakeInstance>();
  const requests: RecordedRequest[] = [];

  const makeInstance = (fields: Partial<FakeInstance> & { hostname: string; status: string }): FakeInstance => {
    const instance: FakeInstance = {
      id: randomUUID(),
      instance_type: '1H100.80S.22V',
      image: 'ubuntu-24.04-cuda-12.8-open-docker',
      description: '',
      location: 'FIN-01',
      ip: null,
      ssh_key_ids: [],
      startup_script_id: null,
      created_at: new Date().toISOString(),
      price_per_hour: 2.29,
      next: [],
      ...fields,
    };
    instances.set(instance.id, instance);
    return instance;
  };

  /** One look moves a changing instance one status further. */
  const look = (instance: FakeInstance): Record<string, unknown> => {
    const status = instance.next.shift();
    if (status) {
      instance.status = status;
      if (status === 'running') instance.ip = ip;
    }
    const { next: _next, ...visible } = instance;
    return visible;
  };

  const starting = (): string[] => (fake.stuckAt ? ['provisioning', fake.stuckAt] : ['provisioning', 'running']);

  const fake: FakeVerda = {
    url: '',
    requests,
    instances,
    tokensIssued: 0,
    available: true,
    stuckAt: null,
    failNextDeploy: null,
    revokeTokens: () => tokens.clear(),
    addInstance: (fields) => makeInstance({ ...fields, ip: fields.status === 'running' || fields.status === 'offline' ? ip : null }),
    close: async () => {},
  };

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v1/, '');
    const body = req.method === 'GET' ? undefined : await readJson(req);
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, body });

    if (req.method === 'POST' && path === '/oauth2/token') {
      const grant = body as Record<string, unknown> | undefined;
      if (grant?.['grant_type'] !== 'client_credentials') {
        return sendJson(res, 400, { code: 'invalid_request', message: 'grant_type not specified or unsupported grant type' });
      }
      if (grant['client_id'] !== options.clientId || grant['client_secret'] !== options.clientSecret) {
        return sendJson(res, 401, { code: 'unauthorized_request', message: 'Invalid client id or client secret' });
      }
      const token = randomUUID();
      tokens.add(token);
      fake.tokensIssued += 1;
      return sendJson(res, 200, {
        access_token: token,
        refresh_token: randomUUID(),
        scope: 'cloud-api-v1',
        token_type: 'Bearer',
        expires_in: options.tokenLifetimeS ?? 3600,
      });
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return sendJson(res, 401, { code: 'unauthorized_request', message: 'Invalid or expired access token' });

    if (req.method === 'GET' && path === '/instance-types') {
      return sendJson(
        res,
        200,
        INSTANCE_TYPES.map((name) => ({ id: randomUUID(), instance_type: name, name, price_per_hour: '2.29', currency: 'usd', gpu: { number_of_gpus: Number(name[0]) } })),
      );
    }
    const availability = /^\/instance-availability\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && availability) {
      return sendJson(res, 200, fake.available && INSTANCE_TYPES.includes(decodeURIComponent(availability[1]!)));
    }
    if (req.method === 'GET' && path === '/instances') {
      return sendJson(res, 200, [...instances.values()].map(look));
    }
    const one = /^\/instances\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const instance = instances.get(decodeURIComponent(one[1]!));
      if (!instance) return sendJson(res, 404, { code: 'not_found', message: 'Instance not found' });
      return sendJson(res, 200, look(instance));
    }
    if (req.method === 'POST' && path === '/instances') {
      if (fake.failNextDeploy) {
        const { status, body: answer } = fake.failNextDeploy;
        fake.failNextDeploy = null;
        return sendJson(res, status, answer);
      }
      const order = (body ?? {}) as Record<string, unknown>;
      for (const key of ['instance_type', 'image', 'hostname', 'description']) {
        if (typeof order[key] !== 'string' || order[key] === '') return sendJson(res, 400, { code: 'invalid_request', message: `${key} is required` });
      }
      if (!INSTANCE_TYPES.includes(String(order['instance_type']))) return sendJson(res, 400, { code: 'invalid_request', message: 'Invalid instance type' });
      if (!fake.available) return sendJson(res, 503, { code: 'service_unavailable', message: 'Not enough resources available for this instance type' });
      const instance = makeInstance({
        instance_type: String(order['instance_type']),
        image: String(order['image']),
        hostname: String(order['hostname']),
        description: String(order['description']),
        location: typeof order['location_code'] === 'string' ? order['location_code'] : 'FIN-01',
        ssh_key_ids: Array.isArray(order['ssh_key_ids']) ? order['ssh_key_ids'].map(String) : [],
        startup_script_id: typeof order['startup_script_id'] === 'string' ? order['startup_script_id'] : null,
        status: 'ordered',
        next: starting(),
      });
      // The deploy answers the new instance's id as plain text.
      return sendText(res, 202, instance.id);
    }
    if (req.method === 'PUT' && path === '/instances') {
      const action = (body ?? {}) as Record<string, unknown>;
      const ids = Array.isArray(action['id']) ? action['id'].map(String) : typeof action['id'] === 'string' ? [action['id']] : [];
      if (ids.length === 0 || typeof action['action'] !== 'string') return sendJson(res, 400, { code: 'invalid_request', message: 'action and id are required' });
      const results = ids.map((id) => {
        const instance = instances.get(id);
        if (!instance) return { action: action['action'], instanceId: id, status: 'error', error: 'Instance not found', statusCode: 404 };
        if (action['action'] === 'shutdown') {
          instance.status = 'offline';
          instance.next = [];
        } else if (action['action'] === 'start') {
          if (instance.status !== 'offline') return { action: 'start', instanceId: id, status: 'error', error: `Cannot start an instance in status ${instance.status}`, statusCode: 400 };
          instance.next = starting().slice(1);
          instance.status = 'provisioning';
        } else if (action['action'] === 'delete') {
          instances.delete(id);
        } else {
          return { action: action['action'], instanceId: id, status: 'error', error: 'Unsupported action', statusCode: 400 };
        }
        return { action: action['action'], instanceId: id, status: 'success' };
      });
      return sendJson(res, results.some((r) => r.status === 'error') ? 207 : 202, results);
    }
    return sendJson(res, 404, { code: 'not_found', message: `No route ${req.method} ${url.pathname}` });
  });
  fake.url = `${server.origin}/v1`;
  fake.close = server.close;
  return fake;
}
