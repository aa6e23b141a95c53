// The training graph adapt() opens unless told otherwise: the ONNX Runtime
// gradient graph (lib/adapt/graph). Kept apart so the loop can be tested
// with any TrainingGraph.
import type { OpenTrainingGraph } from './contract.js';
import { openTrainingGraph } from './graph/index.js';

export const openDefaultTrainingGraph: OpenTrainingGraph = (config, options) => openTrainingGraph(config, options);
