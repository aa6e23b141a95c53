// The training graph adapt() opens unless told otherwise: the ONNX Runtime
// gradient graph (lib/adapt/graph). Kept apart so the loop can be tested
// with any TrainingGraph.
import { RuntimeError } from '../errors/index.js';
import type { TrainingGraph, TrainingGraphOptions } from './contract.js';
import type { RobertaConfig } from '../forge/roberta-graph.js';

export async function openDefaultTrainingGraph(_config: RobertaConfig, _options: TrainingGraphOptions): Promise<TrainingGraph> {
  throw new RuntimeError('the ONNX Runtime training graph (lib/adapt/graph) is not in this build');
}
