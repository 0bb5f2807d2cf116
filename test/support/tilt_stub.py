#!/usr/bin/env python3
"""A stand-in for Tilt's Tiltfile API, to load a Tiltfile without Tilt.

    python3 test/support/tilt_stub.py Tiltfile > calls.json

Runs the Tiltfile with stub builtins that record every call and its
arguments, and prints them as one JSON document on stdout:
{"calls": [{"fn": "local_resource", "kwargs": {...}}, ...]}, every argument
under its parameter name, positional or not.

It fails (exit 1, the reason on stderr) where Tilt would refuse to load:
a builtin Tilt does not have, an argument a builtin does not take (the
signatures follow Tilt's API reference, v0.37, https://docs.tilt.dev/api.html,
and for v1alpha1.* Tilt's internal/tiltfile/v1alpha1/types.go), a file that
does not exist, fail(), a local() command that exits non-zero; and, since a
Tiltfile is Starlark and not Python, on constructs that Starlark does not
have (while, try, class, import, f-strings, `is`, sets, generators, chained
comparisons...). local() runs its command at load time, as Tilt does (in the
Tiltfile's folder, through `sh -c`); no command given to a resource is run.
k8s_context() is TILT_STUB_K8S_CONTEXT, else kind-schemagate (the cluster a
stand-in for Tilt pretends to be connected to).
"""
import ast
import json
import os as _os
import subprocess
import sys

calls = []
tiltfile_dir = '.'


class TiltfileError(Exception):
    pass


class Blob(object):
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


class Link(object):
    def __init__(self, url, name):
        self.url = url
        self.name = name


class TriggerMode(object):
    def __init__(self, name):
        self.name = name


TRIGGER_MODE_AUTO = TriggerMode('TRIGGER_MODE_AUTO')
TRIGGER_MODE_MANUAL = TriggerMode('TRIGGER_MODE_MANUAL')


class Location(object):
    RESOURCE = 'resource'
    NAV = 'nav'


class Step(object):
    """A live_update step (sync, run, fall_back_on, restart_container)."""
    def __init__(self, kind, **fields):
        self.kind = kind
        self.fields = fields


def encode(v):
    if isinstance(v, Blob):
        return {'blob': v.text}
    if isinstance(v, Link):
        return {'link': v.url, 'name': v.name}
    if isinstance(v, TriggerMode):
        return v.name
    if isinstance(v, Step):
        d = {'step': v.kind}
        d.update({k: encode(x) for k, x in v.fields.items()})
        return d
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    return v


def record(fn, **kwargs):
    calls.append({'fn': fn, 'kwargs': {k: encode(v) for k, v in kwargs.items()}})


def path_in_tiltfile_dir(p):
    full = _os.path.join(tiltfile_dir, p)
    if not _os.path.exists(full):
        raise TiltfileError('%s: no such file or directory (relative to the Tiltfile)' % p)
    return full


def as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def check_trigger_mode(v):
    if not isinstance(v, TriggerMode):
        raise TiltfileError('trigger_mode must be TRIGGER_MODE_AUTO or TRIGGER_MODE_MANUAL, got %r' % (v,))


def check_labels(labels):
    for label in as_list(labels):
        if not isinstance(label, str) or not label:
            raise TiltfileError('labels must be non-empty strings, got %r' % (label,))


# --- builtins (signatures: Tilt API reference) ---------------------------------

def version_settings(check_updates=True, constraint=''):
    record('version_settings', check_updates=check_updates, constraint=constraint)


def allow_k8s_contexts(contexts):
    record('allow_k8s_contexts', contexts=contexts)


def update_settings(max_parallel_updates=3, k8s_upsert_timeout_secs=30, suppress_unused_image_warnings=None):
    record('update_settings', max_parallel_updates=max_parallel_updates, k8s_upsert_timeout_secs=k8s_upsert_timeout_secs)


def docker_build(ref, context, build_args={}, dockerfile='Dockerfile', dockerfile_contents='', live_update=[],
                 match_in_env_vars=False, ignore=[], only=[], entrypoint=[], target='', ssh='', network='',
                 secret='', extra_tag='', container_args=None, cache_from=[], pull=False, platform='', env_vars={}):
    path_in_tiltfile_dir(context)
    if not dockerfile_contents:
        path_in_tiltfile_dir(dockerfile)
    for p in as_list(only):
        path_in_tiltfile_dir(_os.path.join(context, p))
    for step in as_list(live_update):
        if not isinstance(step, Step):
            raise TiltfileError('docker_build: live_update takes steps (sync, run, fall_back_on), got %r' % (step,))
        if step.kind == 'sync' and not _os.path.exists(_os.path.join(tiltfile_dir, context, step.fields['local_path'])):
            raise TiltfileError('sync: %s: no such file or directory in the build context' % step.fields['local_path'])
    record('docker_build', ref=ref, context=context, dockerfile=dockerfile, ignore=ignore, only=only, live_update=live_update, build_args=build_args)


def k8s_yaml(yaml, allow_duplicates=False):
    if isinstance(yaml, Blob):
        record('k8s_yaml', yaml=yaml)
        return
    if not isinstance(yaml, (str, list, tuple)):
        raise TiltfileError('k8s_yaml: expected a path, a list of paths or a Blob, got %r' % (yaml,))
    for p in as_list(yaml):
        if isinstance(p, Blob):
            continue
        path_in_tiltfile_dir(p)
    record('k8s_yaml', yaml=yaml)


def k8s_resource(workload='', new_name='', port_forwards=[], extra_pod_selectors=[], trigger_mode=TRIGGER_MODE_AUTO,
                 resource_deps=[], objects=[], auto_init=True, pod_readiness='', links=[], labels=[],
                 discovery_strategy=''):
    check_trigger_mode(trigger_mode)
    check_labels(labels)
    if not workload and not new_name:
        raise TiltfileError('k8s_resource: give a workload or a new_name')
    if pod_readiness not in ('', 'ignore', 'wait', 'succeeded'):
        raise TiltfileError("k8s_resource: pod_readiness must be 'ignore' or 'wait', got %r" % (pod_readiness,))
    record('k8s_resource', workload=workload, new_name=new_name, port_forwards=port_forwards, trigger_mode=trigger_mode,
           resource_deps=resource_deps, objects=objects, auto_init=auto_init, pod_readiness=pod_readiness, links=links,
           labels=labels)


def k8s_custom_deploy(name, apply_cmd, delete_cmd, deps, image_selector='', live_update=[], apply_dir='', apply_env={},
                      apply_cmd_bat='', delete_dir='', delete_env={}, delete_cmd_bat='', container_selector='',
                      image_deps=[]):
    if not apply_cmd or not delete_cmd:
        raise TiltfileError('k8s_custom_deploy: apply_cmd and delete_cmd cannot be empty')
    record('k8s_custom_deploy', name=name, apply_cmd=apply_cmd, delete_cmd=delete_cmd, deps=deps, image_deps=image_deps,
           apply_env=apply_env)


def local_resource(name, cmd='', deps=None, trigger_mode=TRIGGER_MODE_AUTO, resource_deps=[], ignore=[], auto_init=True,
                   serve_cmd='', cmd_bat='', serve_cmd_bat='', allow_parallel=False, links=[], tags=[], env={},
                   serve_env={}, readiness_probe=None, dir='', serve_dir='', labels=[]):
    check_trigger_mode(trigger_mode)
    check_labels(labels)
    if not cmd and not serve_cmd:
        raise TiltfileError('local_resource must have a cmd and/or a serve_cmd, but both were empty')
    for d in as_list(deps):
        path_in_tiltfile_dir(d)
    if any(c['fn'] == 'local_resource' and c['kwargs']['name'] == name for c in calls):
        raise TiltfileError('Local resource %s has been defined multiple times' % name)
    record('local_resource', name=name, cmd=cmd, deps=deps, trigger_mode=trigger_mode, resource_deps=resource_deps,
           auto_init=auto_init, serve_cmd=serve_cmd, allow_parallel=allow_parallel, links=links, env=env, labels=labels)


def link(url, name=''):
    return Link(url, name)


def read_file(file_path, default=None):
    full = _os.path.join(tiltfile_dir, file_path)
    if not _os.path.exists(full):
        if default is not None:
            return Blob(default)
        raise TiltfileError('read_file: %s does not exist' % file_path)
    record('read_file', file_path=file_path)
    with open(full) as fh:
        return Blob(fh.read())


def blob(input):
    return Blob(input)


# The repository's own YAML parser (npm `yaml`), so the stub needs nothing beyond python3 and node.
YAML_TO_JSON = (
    "const {parseAllDocuments} = require(process.argv[1]); let s = '';"
    "process.stdin.on('data', (d) => (s += d)).on('end', () => {"
    "  const docs = parseAllDocuments(s); const bad = docs.find((d) => d.errors.length);"
    "  if (bad) { console.error(bad.errors[0].message); process.exit(1); }"
    "  process.stdout.write(JSON.stringify(docs.map((d) => d.toJS()).filter((d) => d != null)));"
    "});"
)


def decode_yaml_stream(yaml):
    repo = _os.path.dirname(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))
    r = subprocess.run(['node', '-e', YAML_TO_JSON, _os.path.join(repo, 'node_modules', 'yaml')],
                       input=str(yaml), capture_output=True, text=True)
    if r.returncode != 0:
        raise TiltfileError('decode_yaml_stream: %s' % r.stderr.strip())
    return json.loads(r.stdout)


def encode_yaml_stream(objs):
    # JSON is YAML: one document per object.
    return Blob(''.join('---\n' + json.dumps(o, indent=1) + '\n' for o in objs))


def local(command, quiet=False, command_bat='', echo_off=False, env={}, dir='', stdin=None):
    # https://docs.tilt.dev/api.html#api.local: runs at load time, returns stdout as a Blob, and a non-zero exit
    # fails the Tiltfile.
    if isinstance(command, (list, tuple)):
        argv = [str(c) for c in command]
    else:
        argv = ['sh', '-c', str(command)]
    full_env = dict(_os.environ)
    full_env.update({str(k): str(v) for k, v in env.items()})
    r = subprocess.run(argv, cwd=_os.path.join(tiltfile_dir, dir) if dir else tiltfile_dir, env=full_env,
                       input=None if stdin is None else str(stdin), capture_output=True, text=True)
    record('local', command=command, quiet=quiet, echo_off=echo_off)
    if r.returncode != 0:
        raise TiltfileError('local(%r) exited with %d:\n%s' % (command, r.returncode, r.stderr.strip()))
    return Blob(r.stdout)


def fail(msg):
    raise TiltfileError('fail(): %s' % msg)


def k8s_context():
    # https://docs.tilt.dev/api.html#api.k8s_context
    return _os.environ.get('TILT_STUB_K8S_CONTEXT', 'kind-schemagate')


def watch_file(file_path):
    # https://docs.tilt.dev/api.html#api.watch_file: a change to it (a file or a folder) reloads the Tiltfile.
    record('watch_file', file_path=file_path)


def decode_json(json_text):
    # https://docs.tilt.dev/api.html#api.decode_json
    try:
        return json.loads(str(json_text))
    except ValueError as e:
        raise TiltfileError('decode_json: %s' % e)


def sync(local_path, remote_path):
    # https://docs.tilt.dev/api.html#api.sync: the local path must be inside the build context (checked by docker_build).
    if not remote_path.startswith('/'):
        raise TiltfileError('sync: remote_path must be absolute, got %r' % (remote_path,))
    return Step('sync', local_path=local_path, remote_path=remote_path)


def run(cmd, trigger=[], echo_off=False):
    # https://docs.tilt.dev/api.html#api.run
    return Step('run', cmd=cmd, trigger=as_list(trigger))


def fall_back_on(files):
    # https://docs.tilt.dev/api.html#api.fall_back_on
    return Step('fall_back_on', files=as_list(files))


def restart_container():
    # https://docs.tilt.dev/api.html#api.restart_container (Docker runtimes only: not kind's containerd)
    return Step('restart_container')


class _V1alpha1(object):
    """Tilt's API objects as builtins (https://docs.tilt.dev/api.html, module v1alpha1; the arguments of
    internal/tiltfile/v1alpha1/types.go). Only those this repository uses."""

    @staticmethod
    def ui_button(name, labels={}, annotations={}, text='', icon_name='', icon_svg='', location=None, inputs=[],
                  disabled=False, requires_confirmation=False):
        if location is not None:
            unknown = set(location) - {'component_type', 'component_id'}
            if unknown:
                raise TiltfileError('v1alpha1.ui_button: Unexpected attribute name: %s' % sorted(unknown)[0])
        record('v1alpha1.ui_button', name=name, labels=labels, annotations=annotations, text=text,
               icon_name=icon_name, location=location, disabled=disabled,
               requires_confirmation=requires_confirmation)

    @staticmethod
    def cmd(name, labels={}, annotations={}, args=[], dir='', env=[], readiness_probe=None, restart_on=None,
            start_on=None, disable_source=None):
        if start_on is not None:
            unknown = set(start_on) - {'start_after', 'ui_buttons'}
            if unknown:
                raise TiltfileError('v1alpha1.cmd: Unexpected attribute name: %s' % sorted(unknown)[0])
        if not args:
            raise TiltfileError('v1alpha1.cmd %s: args cannot be empty' % name)
        record('v1alpha1.cmd', name=name, annotations=annotations, args=args, dir=dir, env=env, start_on=start_on)


def cmd_button(name, resource='', argv=[], text=None, location=Location.RESOURCE, icon_name='', icon_svg='', inputs=[],
               disabled=False, requires_confirmation=False, env=[], dir=''):
    if not argv:
        raise TiltfileError('cmd_button %s: argv cannot be empty' % name)
    record('cmd_button', name=name, resource=resource, argv=argv, text=text, location=location, icon_name=icon_name,
           requires_confirmation=requires_confirmation)


class _Os(object):
    """Tilt's `os` module: only what a Tiltfile may read."""
    name = _os.name

    @staticmethod
    def getenv(key, default=None):
        return _os.environ.get(key, default)

    class path(object):
        @staticmethod
        def exists(p):
            return _os.path.exists(_os.path.join(tiltfile_dir, p))

        @staticmethod
        def join(*parts):
            return _os.path.join(*parts)


def starlark_print(*args, **kwargs):
    # Tilt's print goes to the Tiltfile log; stdout is reserved for the JSON.
    sys.stderr.write(' '.join(str(a) for a in args) + '\n')


EXTENSIONS = {'ext://uibutton': {'cmd_button': cmd_button, 'location': Location}}


def make_load(scope):
    def load(module, *names, **aliases):
        ext = EXTENSIONS.get(module)
        if ext is None:
            raise TiltfileError('load(%r): the stub does not know this extension' % module)
        for n in names:
            if n not in ext:
                raise TiltfileError('load(%r): no symbol %s' % (module, n))
            scope[n] = ext[n]
        for alias, n in aliases.items():
            scope[alias] = ext[n]
        record('load', module=module, names=list(names))
    return load


# --- Starlark, not Python ---------------------------------------------------------

NOT_STARLARK = {
    ast.While: 'while loops', ast.Try: 'try/except', ast.ClassDef: 'classes', ast.Import: 'import statements',
    ast.ImportFrom: 'import statements', ast.With: 'with statements', ast.Global: 'global statements', ast.Nonlocal: 'nonlocal statements',
    ast.JoinedStr: 'f-strings', ast.Yield: 'generators', ast.YieldFrom: 'generators', ast.Await: 'async functions',
    ast.AsyncFunctionDef: 'async functions', ast.Raise: 'raise statements (use fail())', ast.Assert: 'assert statements', ast.Delete: 'del statements',
    ast.Set: 'set literals', ast.SetComp: 'set comprehensions', ast.GeneratorExp: 'generator expressions',
    ast.NamedExpr: 'assignment expressions (:=)',
}


def check_starlark(tree, path):
    for node in ast.walk(tree):
        what = NOT_STARLARK.get(type(node), False)
        if what:
            raise TiltfileError('%s:%d: %s are Python, not Starlark' % (path, node.lineno, what))
        if isinstance(node, ast.Compare):
            if len(node.ops) > 1:
                raise TiltfileError('%s:%d: chained comparisons are Python, not Starlark' % (path, node.lineno))
            if isinstance(node.ops[0], (ast.Is, ast.IsNot)):
                raise TiltfileError('%s:%d: `is` is Python, not Starlark (use ==)' % (path, node.lineno))
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            raise TiltfileError('%s:%d: decorators are Python, not Starlark' % (path, node.lineno))


# Starlark's universe (the spec's built-in functions) plus what every Tiltfile gets.
STARLARK_BUILTINS = ['None', 'True', 'False', 'abs', 'all', 'any', 'bool', 'dict', 'dir', 'enumerate', 'float',
                     'getattr', 'hasattr', 'hash', 'int', 'len', 'list', 'max', 'min', 'range', 'repr', 'reversed',
                     'sorted', 'str', 'tuple', 'type', 'zip']

TILT_BUILTINS = {
    'version_settings': version_settings, 'allow_k8s_contexts': allow_k8s_contexts, 'update_settings': update_settings,
    'docker_build': docker_build, 'k8s_yaml': k8s_yaml, 'k8s_resource': k8s_resource,
    'k8s_custom_deploy': k8s_custom_deploy, 'local_resource': local_resource, 'link': link, 'read_file': read_file,
    'blob': blob, 'decode_yaml_stream': decode_yaml_stream, 'encode_yaml_stream': encode_yaml_stream, 'local': local, 'fail': fail, 'k8s_context': k8s_context, 'os': _Os,
    'watch_file': watch_file, 'decode_json': decode_json, 'sync': sync, 'run': run, 'fall_back_on': fall_back_on,
    'restart_container': restart_container, 'v1alpha1': _V1alpha1,
    'TRIGGER_MODE_AUTO': TRIGGER_MODE_AUTO, 'TRIGGER_MODE_MANUAL': TRIGGER_MODE_MANUAL,
}


def main(argv):
    global tiltfile_dir
    if len(argv) != 2:
        sys.stderr.write('usage: tilt_stub.py TILTFILE\n')
        return 2
    path = argv[1]
    tiltfile_dir = _os.path.dirname(_os.path.abspath(path))
    with open(path) as fh:
        source = fh.read()
    try:
        tree = ast.parse(source, filename=path)
        check_starlark(tree, path)
        import builtins as py
        universe = {n: getattr(py, n) for n in STARLARK_BUILTINS if hasattr(py, n)}
        universe['print'] = starlark_print
        scope = {'__builtins__': universe, '__name__': 'Tiltfile'}
        scope.update(TILT_BUILTINS)
        scope['load'] = make_load(scope)
        exec(compile(tree, path, 'exec'), scope)
    except TiltfileError as e:
        sys.stderr.write('Tiltfile error: %s\n' % e)
        return 1
    except NameError as e:
        sys.stderr.write('Tiltfile error: unknown builtin or name: %s\n' % e)
        return 1
    except TypeError as e:
        # An argument a builtin does not take, or a missing one.
        sys.stderr.write('Tiltfile error: %s\n' % e)
        return 1
    json.dump({'calls': calls}, sys.stdout, indent=1)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
