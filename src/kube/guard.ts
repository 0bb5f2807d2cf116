import { ExitCode, SchemagateError } from '../errors.js';

/** Contexts of local clusters, where destroying data is what a developer wants. */
export const LOCAL_CONTEXTS = ['kind-*', 'docker-desktop', 'k3d-*', 'minikube', 'rancher-desktop', 'orbstack'] as const;

function matches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(name);
}

export interface GuardInput {
  /** The command, for messages: `reset`. */
  command: string;
  context: string;
  /** kubernetes.allowedContexts from the config. */
  allowed: readonly string[];
  /** --allow-context NAME, if given. */
  allowFlag: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * May a destructive command run on this context? On local clusters (and the
 * config's allowed list) yes. Elsewhere only with `--allow-context` naming the
 * very context, and never in CI: Tilt's allow_k8s_contexts protects only what
 * Tilt runs, not a script or a pipeline.
 */
export function checkContext(g: GuardInput): { allowedBy: string } {
  const local = [...LOCAL_CONTEXTS, ...g.allowed].find((p) => matches(p, g.context));
  if (local) return { allowedBy: local };
  if (g.allowFlag !== undefined) {
    if (g.env.CI && g.env.CI !== 'false' && g.env.CI !== '0') {
      throw new SchemagateError(
        'guard.ci',
        `${g.command} refused on context "${g.context}": --allow-context is not honoured when CI is set`,
        {
          exitCode: ExitCode.refused,
          hint: 'In CI, destructive commands run only on local clusters (kind-*, k3d-*, ...) or contexts listed in kubernetes.allowedContexts.',
          context: { object: `context/${g.context}` },
        },
      );
    }
    if (g.allowFlag === g.context) return { allowedBy: '--allow-context' };
    throw new SchemagateError(
      'guard.mismatch',
      `${g.command} refused: --allow-context ${g.allowFlag} does not name the current context "${g.context}"`,
      {
        exitCode: ExitCode.refused,
        hint: `Check which cluster you are pointing at (kubectl config current-context). To go ahead on it: --allow-context ${g.context}.`,
        context: { object: `context/${g.context}` },
      },
    );
  }
  throw new SchemagateError(
    'guard.context',
    `${g.command} refused on context "${g.context}": it is not a local cluster, and ${g.command} deletes data`,
    {
      exitCode: ExitCode.refused,
      hint: `Allowed without asking: ${LOCAL_CONTEXTS.join(', ')}${g.allowed.length ? `, ${g.allowed.join(', ')}` : ''} (add more with kubernetes.allowedContexts). If you really mean this cluster: --allow-context ${g.context}. Nothing was deleted.`,
      context: { object: `context/${g.context}` },
    },
  );
}
