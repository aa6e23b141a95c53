// The training graph adapt() opens unless told otherwise: the ONNX Runtime
// gradient graph (lib/adapt/graph). Kept apart so the loop can be tested
// with any TrainingGraph.
import { RuntimeError } from '../errors/index.js';
import type { OpenTrainingGraph } from './contract.js';

export const openDefaultTrainingGraph: OpenTrainingGraph = async () => {
  throw new RuntimeError('the ONNX Runtime training graph (lib/adapt/graph) is not in this build');
};
