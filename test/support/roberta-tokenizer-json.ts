// The RoBERTa-style tokenizer.json used by the tokenizer tests; the builder
// lives in lib/forge so forged models ship the very same file.
export { buildRobertaTokenizerJson, type RobertaTokenizerJsonOptions } from '../../lib/forge/tokenizer-json.js';
