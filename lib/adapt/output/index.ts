// The adapted model folder and the safetensors writer it uses.
export { checkOutDir, COPIED_FILES, writeOutput, type OutputSpec } from './model-folder.js';
export { safetensorsHeader, writeSafetensors, writeAll, type TensorToWrite } from './safetensors.js';
