/**
 * The /ws endpoint: client ids, the feature_flags handshake and ComfyUI's routing rule
 * (sid null -> every socket, sid of a connected client -> that socket, otherwise dropped).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { dumps, isPlainObject } from './py-json.ts';

export interface HubHooks {
  /** `{"exec_info": {"queue_remaining": n}}` */
  queueInfo(): Record<string, unknown>;
  /** The node to replay to a reconnecting client that owns the running prompt, or null. */
  replayNode(sid: string): string | null;
  serverFeatures(): Record<string, unknown>;
}

export class WsHub {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly flags = new Map<string, Record<string, unknown>>();
  private readonly all = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly hooks: HubHooks;

  constructor(hooks: HubHooks) {
    this.hooks = hooks;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientId: string | null): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, clientId));
  }

  private connected(ws: WebSocket, clientId: string | null): void {
    const sid = clientId || randomUUID().replaceAll('-', '');
    // A reused id replaces the old socket without closing it, like ComfyUI.
    this.sockets.set(sid, ws);
    this.flags.set(sid, {});
    this.all.add(ws);
    this.send(ws, dumps({ type: 'status', data: { status: this.hooks.queueInfo(), sid } }));
    const node = this.hooks.replayNode(sid);
    if (node !== null) this.send(ws, dumps({ type: 'executing', data: { node } }));
    let first = true;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (!isPlainObject(msg)) return;
      if (first && msg['type'] === 'feature_flags') {
        const clientFlags = msg['data'];
        this.flags.set(sid, isPlainObject(clientFlags) ? clientFlags : {});
        this.send(ws, dumps({ type: 'feature_flags', data: this.hooks.serverFeatures() }));
      }
      first = false;
    });
    ws.on('close', () => {
      this.all.delete(ws);
      // Unconditional, like ComfyUI: a late close of an old socket unregisters a newer one with the same id.
      this.sockets.delete(sid);
      this.flags.delete(sid);
    });
    ws.on('error', () => ws.terminate());
  }

  private send(ws: WebSocket, data: string | Buffer): void {
    if (ws.readyState === ws.OPEN) ws.send(data);
  }

  private targets(sid: string | null): WebSocket[] {
    if (sid === null) return [...this.sockets.values()];
    const ws = this.sockets.get(sid);
    return ws ? [ws] : [];
  }

  sendJson(type: string, data: unknown, sid: string | null): void {
    const targets = this.targets(sid);
    if (targets.length === 0) return;
    const text = dumps({ type, data });
    for (const ws of targets) this.send(ws, text);
  }

  sendBinary(frame: Buffer, sid: string | null): void {
    for (const ws of this.targets(sid)) this.send(ws, frame);
  }

  /** feature_flags.supports_feature: only a literal true counts; unknown sids never do. */
  supports(sid: string | null, feature: string): boolean {
    if (sid === null) return false;
    return this.flags.get(sid)?.[feature] === true;
  }

  /** Drops every connection at once (crash) or politely (close). */
  closeAll(hard: boolean): void {
    for (const ws of this.all) {
      if (hard) ws.terminate();
      else ws.close(1001, 'server shutting down');
    }
    this.all.clear();
    this.sockets.clear();
    this.flags.clear();
  }
}
