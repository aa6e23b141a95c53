// What Cappy reads when it judges an LLM's candidates: the instruction is
// the rendered prompt, the response is the candidate's text. The rendering
// is fixed and documented (docs/server.md, "Boosting an LLM"), so a score
// means the same thing from one request to the next.
//
// 'cappy-chat-v1':
// - a message's text is its `content` string, or the `text` of its text
//   parts joined with "\n" (images, audio and other parts are left out),
//   followed by one line per tool call it makes: `NAME(ARGUMENTS)`, the
//   function's name and its `arguments` string exactly as the model wrote it
//   (JSON); the same for a legacy `function_call` and a custom tool's
//   `input`. Messages without text or calls are left out;
// - one user message alone (the usual single-turn request) is the
//   instruction as it is, the shape of Cappy's training prompts;
// - otherwise every message is `Role: text` (System, User, Assistant, Tool,
//   Developer, or the role as given), joined by a blank line.
// 'cappy-prompt-v1': a /v1/completions prompt string, as it is.
import { InvalidInputError } from '../errors/index.js';

export const CHAT_RENDERING = 'cappy-chat-v1';
export const PROMPT_RENDERING = 'cappy-prompt-v1';

/** The text of an OpenAI `content`: a string, or an array of parts of which the text parts count. */
export function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter(
      (p): p is { type: string; text: string } =>
        p !== null &&
        typeof p === 'object' &&
        (p as { type?: unknown }).type === 'text' &&
        typeof (p as { text?: unknown }).text === 'string',
    )
    .map((p) => p.text);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `NAME(ARGUMENTS)` for one call: a function call's name and arguments, or a custom tool's name and input. */
function callText(call: unknown): string | undefined {
  if (!isJson(call)) return undefined;
  const fn = isJson(call.function) ? call.function : isJson(call.custom) ? call.custom : call;
  if (typeof fn.name !== 'string') return undefined;
  const args = fn.arguments ?? fn.input ?? '';
  return `${fn.name}(${typeof args === 'string' ? args : JSON.stringify(args)})`;
}

/**
 * The text of a chat message (a prompt turn or a candidate): its content,
 * then one `NAME(ARGUMENTS)` line per tool call (`tool_calls`, or the legacy
 * `function_call`). Undefined when it has neither.
 */
export function messageText(message: unknown): string | undefined {
  if (!isJson(message)) return undefined;
  const lines: string[] = [];
  const content = contentText(message.content);
  if (content !== undefined && content !== '') lines.push(content);
  const calls = Array.isArray(message.tool_calls)
    ? message.tool_calls
    : message.function_call !== undefined
      ? [{ function: message.function_call }]
      : [];
  for (const c of calls) {
    const t = callText(c);
    if (t !== undefined) lines.push(t);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

const ROLE_NAMES: Record<string, string> = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool', developer: 'Developer' };

/** The instruction for a chat request. Throws InvalidInputError when there is no text to judge against. */
export function renderChat(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) throw new InvalidInputError('"messages" must be a non-empty array');
  const turns: { role: string; text: string }[] = [];
  messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') {
      throw new InvalidInputError(`"messages[${i}]" must be an object with a string "role"`);
    }
    const text = messageText(m);
    if (text !== undefined) turns.push({ role: (m as { role: string }).role, text });
  });
  if (turns.length === 0) throw new InvalidInputError('"messages" hold no text for Cappy to judge the answers against');
  if (turns.length === 1 && turns[0].role === 'user') return turns[0].text;
  return turns.map((t) => `${ROLE_NAMES[t.role] ?? t.role}: ${t.text}`).join('\n\n');
}

/** The instruction for a completions request: one prompt string (or an array holding one). */
export function renderPrompt(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  throw new InvalidInputError('"prompt" must be a string (or an array of one string): boosting judges one prompt per request');
}
