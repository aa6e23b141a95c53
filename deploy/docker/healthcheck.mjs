// The image's HEALTHCHECK: exit 0 when GET /health answers 200 (every model
// loaded and warmed, not draining), else 1. Plain Node, since the runtime
// image has no curl or wget.
const port = process.env.CAPPY_PORT || '8080';
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
