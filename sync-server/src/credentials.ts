/**
 * Room credentials: signed tokens (JWT, HS256, via jose) naming one room, one replica (node) id and the
 * rights granted there. The relay mints them for holders of its admin token (or of an admin credential
 * for the same room) and checks them on every hello and admin call.
 *
 * The signing key is derived from the admin token, so credentials survive a relay restart with the same
 * admin token, and changing the admin token revokes every credential minted under the old one.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  AUTHORITY_NODE_ID,
  idProblem,
  isRight,
  RIGHTS,
  type Right,
  STORAGE_NODE_ID,
} from '@converge/protocol';
import { errors, jwtVerify, SignJWT } from 'jose';

/** What a credential grants: rights in one room, for one replica id. */
export interface Credential {
  readonly room: string;
  readonly replica: string;
  /** Distinct, in RIGHTS order. */
  readonly rights: readonly Right[];
  /** The token's unique id (`jti`): a live connection may only be replaced under the same one. */
  readonly id: string;
  /** Seconds since the epoch, or null for a credential that does not expire. */
  readonly expiresAt: number | null;
}

export interface CredentialRequest {
  readonly room: string;
  readonly replica: string;
  readonly rights: readonly Right[];
  /** Lifetime; omitted = no expiry (the credential lives until the admin token changes). */
  readonly expiresInSeconds?: number;
}

export interface MintedCredential extends Credential {
  readonly token: string;
}

/** A credential request or token that cannot be honoured; `message` says why. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

/** Node ids a credential can never name: the storage peer's and the authority's, which live only in the relay's process. */
export const RESERVED_REPLICA_IDS: ReadonlySet<string> = new Set([STORAGE_NODE_ID, AUTHORITY_NODE_ID]);

const ISSUER = 'converge-relay';
const KEY_LABEL = 'converge relay room credentials v1';
/** Ten years: longer would not be a lifetime anyone means. */
const MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** A fresh admin token: 32 random bytes, base64url. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Canonical rights (each once, RIGHTS order), or a CredentialError naming what is wrong. */
export function parseRights(value: unknown): Right[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CredentialError(`rights must be a non-empty array of ${RIGHTS.join(', ')}`);
  }
  for (const right of value) {
    if (!isRight(right)) throw new CredentialError(`unknown right ${JSON.stringify(right)}`);
  }
  return RIGHTS.filter((right) => value.includes(right));
}

export class CredentialAuthority {
  private readonly adminDigest: Buffer;
  private readonly key: Uint8Array;

  /** @param now wall-clock milliseconds (credential times are epoch seconds). */
  constructor(
    adminToken: string,
    private readonly now: () => number = Date.now,
  ) {
    if (adminToken === '') throw new CredentialError('the admin token must not be empty');
    this.adminDigest = sha256(adminToken);
    this.key = new Uint8Array(createHmac('sha256', adminToken).update(KEY_LABEL).digest());
  }

  /** Whether `token` is the admin token (constant time: both sides are hashed first). */
  isAdminToken(token: string | undefined): boolean {
    return token !== undefined && timingSafeEqual(this.adminDigest, sha256(token));
  }

  async mint(request: CredentialRequest): Promise<MintedCredential> {
    const roomProblem = idProblem(request.room);
    if (roomProblem !== undefined) throw new CredentialError(`room id ${roomProblem}`);
    const replicaProblem = idProblem(request.replica);
    if (replicaProblem !== undefined) throw new CredentialError(`replica id ${replicaProblem}`);
    if (RESERVED_REPLICA_IDS.has(request.replica)) {
      throw new CredentialError(
        `replica id ${request.replica} is reserved for a node of the relay's own (storage peer, authority)`,
      );
    }
    const rights = parseRights(request.rights);
    const lifetime = request.expiresInSeconds;
    if (
      lifetime !== undefined &&
      !(Number.isSafeInteger(lifetime) && lifetime > 0 && lifetime <= MAX_LIFETIME_SECONDS)
    ) {
      throw new CredentialError(`expiresInSeconds must be an integer from 1 to ${MAX_LIFETIME_SECONDS}`);
    }
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = lifetime === undefined ? null : issuedAt + lifetime;
    const id = randomBytes(16).toString('base64url');
    const jwt = new SignJWT({ room: request.room, replica: request.replica, rights })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setIssuedAt(issuedAt)
      .setJti(id);
    if (expiresAt !== null) jwt.setExpirationTime(expiresAt);
    const token = await jwt.sign(this.key);
    return { token, room: request.room, replica: request.replica, rights, id, expiresAt };
  }

  /** The credential a token carries; CredentialError when it is not one of ours, expired or malformed. */
  async verify(token: string): Promise<Credential> {
    if (token === '') {
      throw new CredentialError('no credential: mint one with POST /rooms/ROOM/credentials (admin token)');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new CredentialError('the credential has expired');
      throw new CredentialError('not a valid credential for this relay');
    }
    const { room, replica, rights, jti, exp } = payload;
    if (idProblem(room) !== undefined || idProblem(replica) !== undefined || typeof jti !== 'string') {
      throw new CredentialError('the credential lacks a valid room, replica or id');
    }
    return {
      room: room as string,
      replica: replica as string,
      rights: parseRights(rights),
      id: jti,
      expiresAt: typeof exp === 'number' ? exp : null,
    };
  }
}
