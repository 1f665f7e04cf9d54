import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@userstream/core';

/** Shortest accepted ORCHESTRATOR_PASSWORD, in every mode (development included). */
export const MIN_PASSWORD_LENGTH = 12;

/** The one user allowed into the dashboard and the API. */
export interface Credentials {
  user: string;
  password: string;
  /** True when the password was generated at start (development only). */
  generated: boolean;
}

/** Where the credentials come from. */
export interface CredentialSources {
  user: string;
  password?: string;
  /** `NODE_ENV`; `production` refuses to start without a password. */
  nodeEnv: string;
}

/**
 * The dashboard's credentials: from ORCHESTRATOR_USER and
 * ORCHESTRATOR_PASSWORD. Without a password, development gets a random one
 * (the caller prints it once) and production refuses to start. A password
 * shorter than {@link MIN_PASSWORD_LENGTH} is refused in every mode. There
 * is no built-in default password.
 */
export function resolveCredentials(sources: CredentialSources): Credentials {
  if (sources.password !== undefined && sources.password.length > 0) {
    if (sources.password.length < MIN_PASSWORD_LENGTH) {
      throw new ConfigError(`ORCHESTRATOR_PASSWORD: must be at least ${MIN_PASSWORD_LENGTH} characters`, { details: { variable: 'ORCHESTRATOR_PASSWORD' } });
    }
    return { user: sources.user, password: sources.password, generated: false };
  }
  if (sources.nodeEnv === 'production') {
    throw new ConfigError('ORCHESTRATOR_PASSWORD: required when NODE_ENV=production (the dashboard and API have no default password)', {
      details: { variable: 'ORCHESTRATOR_PASSWORD' },
    });
  }
  return { user: sources.user, password: randomBytes(18).toString('base64url'), generated: true };
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compares user and password in constant time (both are always compared). */
export function credentialsMatch(expected: Credentials, user: string, password: string): boolean {
  const userOk = timingSafeEqual(digest(user), digest(expected.user));
  const passwordOk = timingSafeEqual(digest(password), digest(expected.password));
  return userOk && passwordOk;
}

/** Reads `Authorization: Basic …`; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
