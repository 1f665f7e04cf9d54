import { RandomUserError, RandomUserErrorCode } from './randomuser.errors';
import type { RandomUserPage } from './randomuser.types';

/** What the request asked for, to check the answer against. */
export interface EnvelopeExpectation {
  status: number;
  url: string;
  results: number;
  page: number;
  seed?: string;
}

const SNIPPET_LENGTH = 200;

function snippet(text: string): string {
  return text.length <= SNIPPET_LENGTH ? text : `${text.slice(0, SNIPPET_LENGTH - 1)}…`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badBody(why: string, text: string, expected: EnvelopeExpectation, cause?: unknown): RandomUserError {
  return new RandomUserError(`randomuser API answered HTTP ${expected.status} with a bad body: ${why}`, {
    code: RandomUserErrorCode.BAD_BODY,
    retriable: true,
    cause,
    details: { status: expected.status, url: expected.url, reason: why, bodyLength: text.length, snippet: snippet(text) },
  });
}

/**
 * Parses a 2xx body and checks the envelope: JSON, an object, no `error`
 * member, `results` an array of the requested length, `info` an object with
 * the requested `page` (and `seed`, when one was sent). The records
 * themselves are not checked. Throws {@link RandomUserError} with code
 * `API_BAD_BODY` or `API_ERROR_BODY`.
 */
export function parseEnvelope(text: string, expected: EnvelopeExpectation): RandomUserPage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const trimmed = text.trimStart();
    const why = trimmed === '' ? 'empty body' : trimmed.startsWith('{') || trimmed.startsWith('[') ? 'invalid or truncated JSON' : 'not JSON';
    throw badBody(why, text, expected, error);
  }
  if (!isObject(body)) throw badBody(`expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`, text, expected);
  if ('error' in body && !('results' in body)) {
    const apiMessage = typeof body['error'] === 'string' ? body['error'] : JSON.stringify(body['error']);
    throw new RandomUserError(`randomuser API answered HTTP ${expected.status} with an error: ${apiMessage}`, {
      code: RandomUserErrorCode.ERROR_BODY,
      retriable: true,
      details: { status: expected.status, url: expected.url, apiMessage, snippet: snippet(text) },
    });
  }
  const { results, info } = body;
  if (!Array.isArray(results)) throw badBody('"results" is not an array', text, expected);
  if (!isObject(info)) throw badBody('"info" is not an object', text, expected);
  if (typeof info['seed'] !== 'string' || info['seed'] === '') throw badBody('"info.seed" is not a string', text, expected);
  if (typeof info['page'] !== 'number') throw badBody('"info.page" is not a number', text, expected);
  if (info['results'] !== undefined && typeof info['results'] !== 'number') throw badBody('"info.results" is not a number', text, expected);
  if (info['version'] !== undefined && typeof info['version'] !== 'string') throw badBody('"info.version" is not a string', text, expected);
  if (info['page'] !== expected.page) throw badBody(`asked for page ${expected.page}, got page ${info['page']}`, text, expected);
  if (expected.seed !== undefined && info['seed'] !== expected.seed) throw badBody(`asked for seed "${expected.seed}", got "${info['seed']}"`, text, expected);
  if (results.length !== expected.results) throw badBody(`asked for ${expected.results} results, got ${results.length}`, text, expected);
  return {
    results: results as RandomUserPage['results'],
    info: {
      seed: info['seed'],
      page: info['page'],
      results: typeof info['results'] === 'number' ? info['results'] : results.length,
      version: typeof info['version'] === 'string' ? info['version'] : '',
    },
  };
}

/** A short excerpt of a body for error details (at most 200 characters). */
export function bodySnippet(text: string): string {
  return snippet(text);
}
