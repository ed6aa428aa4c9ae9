/**
 * The admin HTTP API: JSON over the relay's own HTTP server (documented in README.md).
 * Every request is host- and origin-checked, authenticated (the admin token, or a room credential with
 * admin rights for the room it touches), size-limited and answered; a handler error becomes a JSON
 * error response, never an exception out of the server.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  errorMessage,
  idProblem,
  type Right,
  type StoragePlacement,
  storagePlacementProblem,
} from '@converge/protocol';
import { type HostPolicy, holds, type OriginPolicy, type Principal } from './access.ts';
import { ChaosConfigError, parseChaosConfig } from './chaos.ts';
import { type ClusterEvent, ControlError, type RelayControl } from './control.ts';
import { CredentialError, parseRights } from './credentials.ts';
import type { Violation } from './events.ts';
import type { GatewayResource } from './gateways.ts';
import { type LinkOperation, LinkOperationError } from './link-table.ts';
import type { Logger } from './log.ts';
import { AuthorityControlError } from './room-authority.ts';
import { FORWARDED_BY_HEADER } from './upstream.ts';

const MAX_BODY_BYTES = 64 * 1024;
/** An event-stream subscriber this far behind is disconnected rather than buffered without bound. */
const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;

export interface AdminServices {
  readonly control: RelayControl;
  /** The Host names the relay answers to (known once it listens). */
  hosts(): HostPolicy;
  readonly origins: OriginPolicy;
  /** Who a bearer token stands for; undefined when it is neither the admin token nor a valid credential. */
  authenticate(token: string | undefined): Promise<Principal | undefined>;
  /** A gateway's resource by name (GET /rooms/ROOM/NAME), if one serves it. */
  resource(name: string): GatewayResource | undefined;
  readonly log: Logger;
  /** Count a refused admin call. */
  refused(violation: Violation, remote: string, detail: string): void;
}

/** An open event stream; the relay keeps them to ping and to end them on shutdown. */
export interface EventStream {
  ping(): void;
  end(): void;
}

export class AdminApi {
  private readonly streams = new Set<EventStream>();

  constructor(private readonly services: AdminServices) {}

  /** Keep-alive comments on every open event stream (proxies drop idle connections). */
  pingStreams(): void {
    for (const stream of this.streams) stream.ping();
  }

  endStreams(): void {
    for (const stream of [...this.streams]) stream.end();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => this.fail(res, error));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host;
    if (!this.services.hosts().allows(host)) {
      // A DNS-rebinding page reaches us under its own name; it must learn nothing, not even /healthz.
      this.services.refused('bad-host', remoteOf(req), `Host ${host} is not one of this relay's names`);
      throw new ControlError(421, `this relay does not answer to Host ${host}`);
    }
    const origin = req.headers.origin;
    if (!this.services.origins.allows(origin)) {
      this.services.refused('bad-origin', remoteOf(req), `origin ${origin} not allowed`);
      throw new ControlError(403, `origin ${origin} is not allowed`);
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, PUT, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(204).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://relay');
    const segments = pathSegments(url.pathname);
    const method = req.method ?? 'GET';
    const { control } = this.services;

    if (segments.length === 1 && segments[0] === 'healthz') {
      expectMethod(method, 'GET');
      return this.json(res, 200, control.health());
    }
    const principal = await this.authenticate(req, url);
    const source = req.socket.remoteAddress ?? 'unknown';
    if (segments.length === 1 && segments[0] === 'stats') {
      expectMethod(method, 'GET');
      requireRelayAdmin(principal, 'relay statistics');
      return this.json(res, 200, control.stats());
    }
    if (segments.length === 1 && segments[0] === 'events') {
      expectMethod(method, 'GET');
      return this.openEventStream(req, res, principal);
    }
    if (segments[0] !== 'rooms') throw new ControlError(404, `no such endpoint ${url.pathname}`);
    if (segments.length === 1) {
      expectMethod(method, 'GET');
      // Another node of the cluster asking: this node's rooms alone (it gathers the others itself).
      if (req.headers[FORWARDED_BY_HEADER] !== undefined)
        return this.json(res, 200, { rooms: control.rooms().filter((r) => holds(principal, r.id, 'admin')) });
      const { rooms, unreachable } = await control.clusterRooms();
      return this.json(res, 200, {
        rooms: rooms.filter((r) => holds(principal, r.id, 'admin')),
        ...(unreachable.length > 0 ? { unreachable } : {}),
      });
    }
    const room = checkedId(segments[1], 'room');
    const rest = segments.slice(2);
    if (rest.length === 1 && rest[0] === 'credentials') {
      expectMethod(method, 'POST');
      return this.json(res, 200, await this.mintCredential(principal, room, await readJson(req)));
    }
    const resource = rest.length === 1 ? this.services.resource(rest[0] as string) : undefined;
    if (resource !== undefined) {
      // A gateway's resource (the room's automerge document URL) is per client: a room credential's.
      expectMethod(method, 'GET');
      if (principal.kind !== 'room')
        throw new ControlError(400, `ask for /rooms/${room}/${rest[0]} with the client's room credential`);
      requireRight(principal, room, 'read');
      return this.json(res, 200, await resource(room, principal.credential));
    }
    requireRight(principal, room, 'admin');
    if (rest.length === 0) {
      expectMethod(method, 'GET');
      return this.json(res, 200, found(control.room(room), room));
    }
    if (rest.length === 1 && rest[0] === 'storage') {
      expectMethod(method, 'GET');
      return this.json(res, 200, found(await control.storageStatus(room), room));
    }
    if (rest.length === 1 && rest[0] === 'checkout') {
      if (method === 'GET') {
        const status = await control.checkoutStatus(room);
        if (status === undefined)
          throw new ControlError(404, `room ${room} has no checkout authority loaded`);
        return this.json(res, 200, status);
      }
      expectMethod(method, 'POST');
      const body = await readJson(req);
      try {
        return this.json(res, 200, await control.checkoutControl(room, body));
      } catch (error) {
        if (error instanceof AuthorityControlError) throw new ControlError(error.status, error.message);
        throw error;
      }
    }
    if (rest.length === 1 && rest[0] === 'traffic') {
      expectMethod(method, 'GET');
      const links = found(control.traffic(room), room);
      return this.json(res, 200, { links, departed: control.departedTraffic(room) });
    }
    if (rest.length === 1 && rest[0] === 'links') {
      if (method === 'GET') {
        const info = found(control.room(room), room);
        return this.json(res, 200, {
          cut: info.cut,
          nodes: info.nodes.map((n) => ({ id: n.id, reachable: n.reachable })),
        });
      }
      expectMethod(method, 'POST');
      const operation = parseLinkOperation(await readJson(req));
      const change = control.applyLinks(room, operation, source);
      await control.whenControlsSaved(room);
      return this.json(res, 200, { ...change, room: control.room(room) });
    }
    if (rest[0] === 'chaos' && (rest.length === 1 || rest.length === 3)) {
      if (method === 'GET' && rest.length === 1) {
        return this.json(res, 200, found(control.room(room), room).chaos);
      }
      expectMethod(method, 'PUT');
      const link =
        rest.length === 3 ? { from: checkedId(rest[1], 'node'), to: checkedId(rest[2], 'node') } : null;
      if (link !== null && link.from === link.to)
        throw new ControlError(400, 'a link joins two different nodes');
      const config = parseChaosBody(await readJson(req));
      const chaos = control.setChaos(room, link, config, source);
      await control.whenControlsSaved(room);
      return this.json(res, 200, chaos);
    }
    throw new ControlError(404, `no such endpoint ${url.pathname}`);
  }

  private async authenticate(req: IncomingMessage, url: URL): Promise<Principal> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    // EventSource cannot set headers, so the event stream also takes the token as a query parameter.
    const token =
      bearer ?? (url.pathname === '/events' ? (url.searchParams.get('token') ?? undefined) : undefined);
    const principal = await this.services.authenticate(token);
    if (principal === undefined) {
      this.services.refused(
        'admin-unauthorized',
        remoteOf(req),
        `admin ${req.method} ${url.pathname} without a valid credential`,
      );
      throw new ControlError(
        401,
        token === undefined
          ? 'send the admin token or a room credential as Authorization: Bearer …'
          : 'not the admin token nor a valid credential for this relay',
      );
    }
    return principal;
  }

  /** POST /rooms/:room/credentials: a credential for one replica, with at most the caller's own rights. */
  private async mintCredential(principal: Principal, room: string, body: unknown): Promise<unknown> {
    requireRight(principal, room, 'admin');
    if (!isRecord(body)) throw new ControlError(400, 'body must be {"replica": "ID", "rights": [...]}');
    for (const key of Object.keys(body)) {
      if (!['replica', 'rights', 'expiresInSeconds'].includes(key)) {
        throw new ControlError(400, `unknown field ${key} (replica, rights, expiresInSeconds)`);
      }
    }
    const replica = stringField(body, 'replica');
    let rights: Right[];
    try {
      rights = parseRights(body.rights);
    } catch (error) {
      throw new ControlError(400, errorMessage(error));
    }
    for (const right of rights) {
      if (!holds(principal, room, right)) {
        throw new ControlError(403, `a credential cannot grant ${right}, which it does not hold itself`);
      }
    }
    const expiresInSeconds = body.expiresInSeconds;
    if (expiresInSeconds !== undefined && typeof expiresInSeconds !== 'number') {
      throw new ControlError(400, 'expiresInSeconds must be a number');
    }
    try {
      const minted = await this.services.control.mintCredential({
        room,
        replica,
        rights,
        ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
      });
      return {
        token: minted.token,
        room: minted.room,
        replica: minted.replica,
        rights: minted.rights,
        expiresAt: minted.expiresAt,
      };
    } catch (error) {
      if (error instanceof CredentialError) throw new ControlError(400, error.message);
      throw error;
    }
  }

  /** Server-sent events: everything for the admin token, only its own room's for a room credential. */
  private openEventStream(req: IncomingMessage, res: ServerResponse, principal: Principal): void {
    const visible = (room: string | undefined): boolean =>
      room === undefined ? principal.kind === 'relay-admin' : holds(principal, room, 'admin');
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const write = (chunk: string): void => {
      if (res.writableLength > MAX_EVENT_BACKLOG_BYTES) {
        this.services.log.warn('event-stream-dropped', {
          remote: remoteOf(req),
          reason: 'subscriber too slow',
        });
        stream.end();
        return;
      }
      res.write(chunk);
    };
    const send = (type: string, data: unknown): void =>
      write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    let unsubscribe = (): void => {};
    const stream: EventStream = {
      ping: () => write(': ping\n\n'),
      end: () => {
        unsubscribe();
        this.streams.delete(stream);
        if (!res.writableEnded) res.end();
      },
    };
    this.streams.add(stream);
    // Events that happen while the cluster's rooms are gathered follow the snapshot, in order.
    let held: ClusterEvent[] | undefined = [];
    const deliver = (event: ClusterEvent): void => {
      if (visible('room' in event ? event.room : undefined)) send(event.type, event);
    };
    unsubscribe = this.services.control.subscribeCluster((event) => {
      if (held === undefined) deliver(event);
      else held.push(event);
    });
    req.on('close', () => stream.end());
    res.on('error', () => stream.end());
    void this.services.control.clusterRooms().then(
      ({ rooms, unreachable }) => {
        if (res.writableEnded) return;
        send('snapshot', {
          rooms: rooms.filter((r) => visible(r.id)),
          ...(unreachable.length > 0 ? { unreachable } : {}),
        });
        for (const event of held ?? []) deliver(event);
        held = undefined;
      },
      () => stream.end(),
    );
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  }

  private fail(res: ServerResponse, error: unknown): void {
    const status =
      error instanceof ControlError
        ? error.status
        : error instanceof LinkOperationError || error instanceof ChaosConfigError
          ? 400
          : 500;
    if (status === 500) {
      this.services.log.error('admin-failed', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = status === 500 ? 'internal error' : errorMessage(error);
    this.json(res, status, { error: message });
  }
}

function remoteOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

function pathSegments(pathname: string): string[] {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    throw new ControlError(400, 'malformed path');
  }
}

function requireRelayAdmin(principal: Principal, what: string): void {
  if (principal.kind !== 'relay-admin') throw new ControlError(403, `${what} need the admin token`);
}

function requireRight(principal: Principal, room: string, right: Right): void {
  if (!holds(principal, room, right)) {
    throw new ControlError(403, `this credential does not grant ${right} in room ${room}`);
  }
}

function expectMethod(method: string, expected: string): void {
  if (method !== expected) throw new ControlError(405, `use ${expected}`);
}

function checkedId(value: string | undefined, what: string): string {
  const problem = idProblem(value);
  if (problem !== undefined) throw new ControlError(400, `${what} id ${problem}`);
  return value as string;
}

function found<T>(value: T | undefined, room: string): T {
  if (value === undefined) throw new ControlError(404, `no room ${room}`);
  return value;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new ControlError(415, 'send a JSON body with content-type application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ControlError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ControlError(400, 'body is not valid JSON');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw new ControlError(400, `${field} must be a string`);
  return value;
}

function groupsField(body: Record<string, unknown>): string[][] {
  const groups = body.groups;
  if (
    !Array.isArray(groups) ||
    !groups.every((g) => Array.isArray(g) && g.every((n) => typeof n === 'string'))
  ) {
    throw new ControlError(400, 'groups must be an array of arrays of node ids');
  }
  return groups as string[][];
}

/** A link operation from JSON; ids are checked by the link table. */
export function parseLinkOperation(body: unknown): LinkOperation {
  if (!isRecord(body)) throw new ControlError(400, 'body must be a JSON object');
  const op = body.op;
  switch (op) {
    case 'cut':
    case 'heal': {
      const bothWays = body.bothWays;
      if (bothWays !== undefined && typeof bothWays !== 'boolean') {
        throw new ControlError(400, 'bothWays must be a boolean');
      }
      return {
        op,
        from: stringField(body, 'from'),
        to: stringField(body, 'to'),
        bothWays: bothWays === true,
      };
    }
    case 'isolate':
      return { op, node: stringField(body, 'node') };
    case 'split': {
      const storage = body.storage;
      if (storage === undefined) return { op, groups: groupsField(body) };
      const problem = storagePlacementProblem(storage);
      if (problem !== undefined) throw new ControlError(400, `storage ${problem}`);
      return { op, groups: groupsField(body), storage: storage as StoragePlacement };
    }
    case 'bridge':
      return { op, node: stringField(body, 'node'), groups: groupsField(body) };
    case 'heal-all':
      return { op };
    default:
      throw new ControlError(400, 'op must be one of cut, heal, isolate, split, bridge, heal-all');
  }
}

function parseChaosBody(body: unknown): ReturnType<typeof parseChaosConfig> | null {
  if (!isRecord(body) || !('config' in body)) {
    throw new ControlError(400, 'body must be {"config": {...}} or {"config": null}');
  }
  return body.config === null ? null : parseChaosConfig(body.config);
}
