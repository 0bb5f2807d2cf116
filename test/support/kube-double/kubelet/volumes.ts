/**
 * Pod volumes as folders on the host: configMap and secret volumes hold one
 * file per key, emptyDir is a new folder per pod, and a persistentVolumeClaim
 * is a folder per claim that outlives the pod. A container's process cannot
 * see them at their mountPath (it runs on the host): it gets the mapping in
 * KUBE_DOUBLE_MOUNTS, which images the double emulates (postgres) use.
 * https://kubernetes.io/docs/concepts/storage/volumes/
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Api } from '../api.js';
import { mustFind } from '../resources.js';
import type { Container, Pod } from '../types.js';

export class VolumeError extends Error {}

function files(dir: string, data: Record<string, string | Buffer>, items?: { key: string; path: string }[]): void {
  mkdirSync(dir, { recursive: true });
  const entries = items ? items.map((i) => [i.path, data[i.key] ?? ''] as const) : Object.entries(data);
  for (const [name, value] of entries) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, value);
  }
}

/** Creates the pod's volumes under `root`; returns volume name -> folder. Throws VolumeError like FailedMount. */
export function materializeVolumes(api: Api, root: string, pod: Pod): Map<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const out = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    const dir = join(root, 'pods', pod.metadata.uid, 'volumes', v.name);
    if (v.configMap) {
      const name = v.configMap.name ?? '';
      const cm = api.tryGet(mustFind('configmaps'), ns, name);
      if (!cm && !v.configMap.optional)
        throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : configmap "${name}" not found`);
      const data: Record<string, string | Buffer> = { ...(cm?.data ?? {}) };
      for (const [k, b] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(b, 'base64');
      files(dir, data, v.configMap.items);
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const s = api.tryGet(mustFind('secrets'), ns, name);
      if (!s && !v.secret.optional)
        throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : secret "${name}" not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, b] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(b, 'base64');
      files(dir, data, v.secret.items);
    } else if (v.persistentVolumeClaim) {
      const claim = v.persistentVolumeClaim.claimName;
      if (!api.tryGet(mustFind('persistentvolumeclaims'), ns, claim))
        throw new VolumeError(`persistentvolumeclaim "${claim}" not found`);
      const pvc = join(root, 'pvcs', ns, claim);
      mkdirSync(pvc, { recursive: true });
      out.set(v.name, pvc);
      continue;
    } else mkdirSync(dir, { recursive: true });
    out.set(v.name, dir);
  }
  return out;
}

/** A container's mountPath -> host folder (subPath applied). */
export function mountsOf(volumes: Map<string, string>, container: Container): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of container.volumeMounts ?? []) {
    const dir = volumes.get(m.name);
    if (dir) out[m.mountPath] = m.subPath ? join(dir, m.subPath) : dir;
  }
  return out;
}
