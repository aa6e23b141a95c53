// Reading a file the user named (--data, --eval, --tasks): one that cannot be
// read is an InvalidInputError naming the option, the path and the system's
// reason (ENOENT, EISDIR, EACCES...), the same wherever a command reads one.
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors/index.js';

/** The whole file; `what` is the option that named it, for the message. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new InvalidInputError(`${what} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      cause: e,
    });
  }
}
