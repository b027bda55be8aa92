/**
 * The hello world plugin's behaviour, as Quorum's Go plugin has it: the
 * language comes from the JSON config given to Init; Greeting answers
 * "Hello <msg>!" (en) or "Hola <msg>!" (es).
 */
import { RpcError, Status } from '@qplugin/go-plugin/plugin';

export type Language = 'en' | 'es';

const GREETINGS: Record<Language, string> = { en: 'Hello', es: 'Hola' };

/** Reads `language` from the config; Go's JSON decoding matches keys case-insensitively. */
export function parseConfig(raw: Uint8Array): Language {
  const text = Buffer.from(raw).toString('utf8');
  let language = '';
  if (text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new RpcError(Status.INVALID_ARGUMENT, `invalid config: ${text}, err: ${(err as Error).message}`);
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed);
      const found =
        entries.find(([k]) => k === 'language') ?? entries.find(([k]) => k.toLowerCase() === 'language');
      if (found && typeof found[1] !== 'string' && found[1] !== null) {
        throw new RpcError(
          Status.INVALID_ARGUMENT,
          `invalid config: ${text}, err: json: cannot unmarshal ${typeof found[1]} into Go struct field .language of type string`,
        );
      }
      language = typeof found?.[1] === 'string' ? found[1] : '';
    } else if (parsed !== null) {
      throw new RpcError(
        Status.INVALID_ARGUMENT,
        `invalid config: ${text}, err: config must be a JSON object`,
      );
    }
  }
  if (language !== 'en' && language !== 'es') {
    throw new RpcError(Status.INVALID_ARGUMENT, `unsupported language: [${language}]`);
  }
  return language;
}

export class Greeter {
  private language: Language | undefined;

  init(rawConfiguration: Uint8Array): void {
    this.language = parseConfig(rawConfiguration);
  }

  greet(msg: string): string {
    if (!this.language) throw new RpcError(Status.FAILED_PRECONDITION, 'plugin not initialized');
    return `${GREETINGS[this.language]} ${msg}!`;
  }
}
