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
}

export class ImageRegistry {
  private readonly overrides = new Map<string, boolean>();
  private readonly present: RegExp[] | undefined;
  private readonly absent: RegExp[];
  private readonly configs: [RegExp, ImageConfig][];

  constructor(presentGlobs: string[] | undefined, absentGlobs: string[], configs: Record<string, ImageConfig> = {}) {
    this.present = presentGlobs?.map(globToRegExp);
    this.absent = absentGlobs.map(globToRegExp);
    this.configs = Object.entries(configs).map(([glob, config]) => [globToRegExp(glob), config]);
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

  /** The kubelet's InvalidImageName message, or undefined for a well-formed reference. */
  invalidReason(image: string): string | undefined {
    if (reference.test(image)) return undefined;
    const lower = image !== image.toLowerCase() && reference.test(image.toLowerCase());
    const detail = lower ? 'invalid reference format: repository name must be lowercase' : 'invalid reference format';
    return `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${detail}`;
  }

  isPresent(image: string): boolean {
    const override = this.overrides.get(image);
    if (override !== undefined) return override;
    if (this.absent.some((r) => r.test(image))) return false;
    return this.present ? this.present.some((r) => r.test(image)) : true;
  }

  /** The ErrImagePull message containerd gives for a missing image. */
  pullError(image: string): string {
    const q = qualifiedImage(image);
    return `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${q}": failed to resolve reference "${q}": ${q}: not found`;
  }
}
