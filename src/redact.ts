/**
 * Secrets never reach output, logs or errors. Everything the tool prints goes
 * through `redact()`, which removes the password of every connection URL and
 * every secret value registered with `registerSecret()` (the password of the
 * DATABASE_URL in use, tokens read from a kubeconfig).
 */
const secrets = new Set<string>();

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
  const pw = u.searchParams.get('password');
  if (pw) registerSecret(pw);
}

// scheme://user:password@host -> scheme://user:***@host. The password runs to the
// last `@` of the word: an unencoded `/` or `@` in it must not leave a piece behind.
// `<password>` is the placeholder of examples in hints, not a secret.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):(?!<password>@)(\S*)@/gi;
const QUERY_PASSWORD = /([?&]password=)[^&\s]*/gi;
const KEYWORD_PASSWORD = /(\bpassword\s*=\s*)('[^']*'|[^\s&]+)/gi;

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
  if (u.searchParams.has('password')) u.searchParams.set('password', '***');
  return u.toString();
}
