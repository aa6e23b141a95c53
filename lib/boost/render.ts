// What Cappy reads when it judges an LLM's candidates: the instruction is
// the rendered prompt, the response is the candidate's text. The rendering
// is fixed and documented (docs/server.md, "Boosting an LLM"), so a score
// means the same thing from one request to the next.
//
// 'cappy-chat-v1':
// - a message's text is its `content` string, or the `text` of its text
//   parts joined with "\n" (images, audio and other parts are left out);
//   messages without text are left out;
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
    .filter((p): p is { type: string; text: string } => p !== null && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string')
    .map((p) => p.text);
  return texts.length > 0 ? texts.join('\n') : undefined;
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
    const text = contentText((m as { content?: unknown }).content);
    if (text !== undefined && text !== '') turns.push({ role: (m as { role: string }).role, text });
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
