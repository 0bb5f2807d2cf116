/**
 * Which images the double's "registry" has, and whether an image reference
 * is well formed. https://kubernetes.io/docs/concepts/containers/images/
 */

// distribution/reference grammar: optional domain, lower-case path components, tag, digest.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?)`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const reference = new RegExp(
  `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** The fully qualified name containerd reports, e.g. docker.io/library/node:20. */
export function qualifiedImage(image: string): string {
  const first = image.split('/')[0] ?? '';
  const hasDomain = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasDomain ? image : `docker.io/${image.includes('/') ? image : `library/${image}`}`;
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!last.includes(':') && !name.includes('@')) name += ':latest';
  return name;
}

/**
 * What an image's config says: ENTRYPOINT, CMD and WORKDIR. The kubelet runs
 * `command` or else the ENTRYPOINT, with `args` or else the CMD.
 * https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#notes
 */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  /** The image's ENV (e.g. a PATH with its own bin first); the pod's env wins. */
  env?: Record<string, string>;
}

export interface ImageContent {
  /** The directory that stands for the image's WORKDIR (a snapshot taken at "build" time). */
  dir: string;
  /** sha256 of the snapshot's files: the image's digest. */
  digest: string;
  /** Bytes in the snapshot (the "Image size" of the Pulled event). */
  size: number;
}

export type PullResult = { ok: true; pulled: boolean; size: number } | { ok: false; message: string };

export class ImageRegistry {
  private readonly overrides = new Map<string, boolean>();
  private readonly present: RegExp[] | undefined;
  private readonly absent: RegExp[];
  private readonly configs: [RegExp, ImageConfig][];
  private readonly loaded: RegExp[];
  /** Images the node has: loaded (`kind load`) or pulled before. */
  private readonly onNode = new Set<string>();
  private readonly injected: { re: RegExp; left: number; message: string | undefined }[] = [];
  private readonly contents = new Map<string, ImageContent>();

  constructor(
    presentGlobs: string[] | undefined,
    absentGlobs: string[],
    configs: Record<string, ImageConfig> = {},
    loadedGlobs: string[] = [],
  ) {
    this.present = presentGlobs?.map(globToRegExp);
    this.absent = absentGlobs.map(globToRegExp);
    this.configs = Object.entries(configs).map(([glob, config]) => [globToRegExp(glob), config]);
    this.loaded = loadedGlobs.map(globToRegExp);
  }

  /** Registers (ahead of the others) the config of the images matching `glob`. */
  setConfig(glob: string, config: ImageConfig): void {
    this.configs.unshift([globToRegExp(glob), config]);
  }

  /** The image's config (first matching glob), or an empty one: an image with no ENTRYPOINT. */
  config(image: string): ImageConfig {
    return this.configs.find(([re]) => re.test(image))?.[1] ?? {};
  }

  setPresent(image: string, present: boolean): void {
    this.overrides.set(image, present);
  }

  /** Puts an image on the node only, as `kind load docker-image` does: no registry has it. */
  load(image: string): void {
    this.onNode.add(image);
    this.loaded.push(globToRegExp(image));
  }

  setContent(image: string, content: ImageContent): void {
    this.contents.set(image, content);
  }

  content(image: string): ImageContent | undefined {
    return this.contents.get(image);
  }

  /** The next `times` pulls of matching images fail (default: the registry's 429 Too Many Requests). */
  injectPullErrors(glob: string, times: number, message?: string): void {
    this.injected.push({ re: globToRegExp(glob), left: times, message });
  }

  /** The kubelet's InvalidImageName message, or undefined for a well-formed reference. */
  invalidReason(image: string): string | undefined {
    if (reference.test(image)) return undefined;
    const lower = image !== image.toLowerCase() && reference.test(image.toLowerCase());
    const detail = lower ? 'invalid reference format: repository name must be lowercase' : 'invalid reference format';
    return `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${detail}`;
  }

  private isLoaded(image: string): boolean {
    return this.loaded.some((r) => r.test(image));
  }

  /** Whether a registry serves the image. A loaded image is in none unless made present by name. */
  isPresent(image: string): boolean {
    const override = this.overrides.get(image);
    if (override !== undefined) return override;
    if (this.isLoaded(image)) return false;
    if (this.absent.some((r) => r.test(image))) return false;
    return this.present ? this.present.some((r) => r.test(image)) : true;
  }

  /** Whether `imagePullPolicy: Never` finds it: on the node, or (as before pulls were modelled) in a registry. */
  usableWithoutPull(image: string): boolean {
    return this.onNode.has(image) || this.isLoaded(image) || this.isPresent(image);
  }

  /**
   * What the kubelet's image manager does for a container
   * (pkg/kubelet/images/image_manager.go): Never uses the node's copy,
   * IfNotPresent pulls when the node has none, Always pulls every time.
   */
  pull(image: string, policy: string): PullResult {
    const size = this.contents.get(image)?.size ?? 0;
    if (policy === 'IfNotPresent' && (this.onNode.has(image) || this.isLoaded(image)))
      return { ok: true, pulled: false, size };
    const injected = this.injected.find((i) => i.left > 0 && i.re.test(image));
    if (injected) {
      injected.left--;
      return { ok: false, message: injected.message ?? this.tooManyRequests(image) };
    }
    if (!this.isPresent(image)) return { ok: false, message: this.pullError(image) };
    this.onNode.add(image);
    return { ok: true, pulled: true, size };
  }

  /** The ErrImagePull message containerd gives for a missing image (pull access denied for a loaded-only one on Docker Hub). */
  pullError(image: string): string {
    const q = qualifiedImage(image);
    if (this.isLoaded(image) && q.startsWith('docker.io/'))
      return `Failed to pull image "${image}": failed to pull and unpack image "${q}": failed to resolve reference "${q}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
    return `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${q}": failed to resolve reference "${q}": ${q}: not found`;
  }

  private tooManyRequests(image: string): string {
    const q = qualifiedImage(image);
    return `Failed to pull image "${image}": failed to pull and unpack image "${q}": failed to resolve reference "${q}": unexpected status from HEAD request: 429 Too Many Requests`;
  }
}
