// Bearer-key check. Both sides are hashed to fixed-length digests before
// timingSafeEqual, so neither the key's content nor its length leaks through
// how long a comparison takes (timingSafeEqual itself needs equal lengths).
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Returns a checker for `Authorization` header values; it throws a 401 HttpError on mismatch. */
export function bearerChecker(apiKey: string): (authorization: string | undefined) => void {
  const expected = digest(apiKey);
  return (authorization) => {
    if (typeof authorization !== 'string' || authorization.length === 0) {
      throw new HttpError('UNAUTHORIZED', 'missing Authorization header: send "Authorization: Bearer <key>"');
    }
    // The scheme is case-insensitive (RFC 7235); the key is not.
    const m = /^bearer[ \t]+(.*)$/i.exec(authorization.trim());
    const given = digest(m ? m[1] : '');
    // Compare even when the scheme is wrong, so every failure costs the same.
    const same = timingSafeEqual(expected, given);
    if (!m || !same) throw new HttpError('UNAUTHORIZED', 'invalid API key');
  };
}
