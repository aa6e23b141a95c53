// JSON schemas for TEI's response bodies, written for these tests from TEI's
// published OpenAPI document (huggingface/text-embeddings-inference,
// docs/openapi.json: the 1.7.1 document read here, with what TEI 1.9 adds:
// `served_model_name` required in Info, `Empty` among the error kinds).
// validateTei() checks a body against one of them with ajv and throws with
// ajv's own account of what is wrong, so a test fails on a body a TEI client
// could not trust.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export type TeiSchema = 'info' | 'rerank-response' | 'predict-response' | 'error-response';

const files = ['error-type', 'error-response', 'classifier-model', 'info', 'rerank-response', 'predict-response'];
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(import.meta.dirname, `${f}.json`), 'utf8')), f);

/** Throws unless `body` is valid under TEI's `schema`. */
export function validateTei(schema: TeiSchema, body: unknown): void {
  const validate = ajv.getSchema(schema)!;
  if (!validate(body)) {
    throw new Error(`not a TEI ${schema}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** TEI's error kinds, from the schema itself. */
export const TEI_ERROR_TYPES: readonly string[] = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'error-type.json'), 'utf8')) as { enum: string[] }
).enum;
