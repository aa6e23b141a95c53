export { RemoteScorer, type RemoteScorerOptions, type RemoteCallOptions } from './remote-scorer.js';
export { parseRetryAfter, type EndpointStatus, type EndpointLimits } from './endpoint.js';
