// The training graph and the generic graph session it runs on.
export { openTrainingGraph, type TrainingGraphExtras } from './training-graph.js';
export { buildTrainingGraph, dropoutSiteCount, paddingRow, type TrainingGraphLayout, type TrainingGraphSpec } from './build.js';
export { GraphSession, type GraphInput, type GraphOutput, type GraphResult, type GraphSessionOptions } from './graph-session.js';
export { keeps, keepThreshold, mix32, siteSalt } from './dropout.js';
