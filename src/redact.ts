/**
 * Secrets never reach output, logs or errors. Everything the tool prints goes
 * through `redact()`, which removes the password of every connection URL and
 * every secret value registered with `registerSecret()` (the password of the
 * DATABASE_URL in use, tokens read from a kubeconfig).
 */
const secrets = new Set<string>();

/** Parameters of a connection URL that hold a secret: the password, and the passphrase of the SSL key. */
export const SECRET_PARAMS = ['password', 'sslpassword'] as const;

/** Remembers a secret value so that `redact()` removes it wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; passwords that short are
  // still removed from URLs by the pattern below.
  if (value && value.length >= 4) secrets.add(value);
}

/** Registers a value and its percent-decoded form (when it decodes). */
function registerEncoded(value: string): void {
  registerSecret(value);
  try {
    registerSecret(decodeURIComponent(value));
  } catch (e) {
    // A stray % (not percent-encoding): the raw form is registered above.
    if (!(e instanceof URIError)) throw e;
  }
}

/**
 * Registers the password of a connection URL (raw and percent-decoded, in
 * the userinfo or as `?password=`), even of one `new URL()` cannot parse (an
 * unencoded `/` or `#` in the password). The one place a URL's secrets are
 * registered: the config file's text, the URL a command resolves, and the
 * engine's connections all come here.
 */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@[^@]*$/i.exec(url);
  if (userinfo?.[1]) registerEncoded(userinfo[1]);
  if (!URL.canParse(url)) return;
  const u = new URL(url);
  if (u.password) registerEncoded(u.password);
  for (const name of SECRET_PARAMS) {
    const value = u.searchParams.get(name);
    if (value) registerSecret(value);
  }
}

// scheme://user:password@host -> scheme://user:***@host. The password runs to the
// last `@` of the word: an unencoded `/` or `@` in it must not leave a piece behind.
// `<password>` is the placeholder of examples in hints, not a secret.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):(?!<password>@)(\S*)@/gi;
// A value ends where a URL parameter, a word, a quoted string or a bracket ends: never past a quote.
const QUERY_PASSWORD = /([?&](?:ssl)?password=)[^&\s"'<>()[\]{}]*/gi;
const KEYWORD_PASSWORD = /(\b(?:ssl)?password\s*=\s*)('[^']*'|[^\s&"'<>()[\]{},;]+)/gi;

export function redact(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1:***@').replace(QUERY_PASSWORD, '$1***').replace(KEYWORD_PASSWORD, '$1***');
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}

/** A connection URL fit for display: the password replaced by `***`. */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return redact(url);
  const u = new URL(url);
  if (u.password) u.password = '***';
  for (const name of SECRET_PARAMS) if (u.searchParams.has(name)) u.searchParams.set(name, '***');
  return u.toString();
}

/**
 * A copy of a structured value with every string in it redacted: what is
 * printed as JSON is redacted before it is serialised, so a secret never
 * leaks and a redaction never breaks the JSON (a pattern run over finished
 * JSON text can swallow a closing quote).
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v)) as T;
  if (value instanceof Date) return value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
