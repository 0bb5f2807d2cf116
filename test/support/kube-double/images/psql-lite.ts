/**
 * What `psql -v ON_ERROR_STOP=1 -f file` does with an init script, for the
 * postgres image the double emulates when no psql binary is at hand: the
 * meta-commands `\getenv` and `\set`, and variable interpolation (`:'v'` a
 * literal, `:"v"` an identifier, `:v` as is; an unset variable stays as
 * written, as psql leaves it). Any other meta-command is refused by name.
 * The script is sent as one query (so it runs in one implicit transaction).
 * https://www.postgresql.org/docs/current/app-psql.html#APP-PSQL-INTERPOLATION
 */
import pg from 'pg';

export function interpolate(script: string, env: NodeJS.ProcessEnv, file = 'script'): string {
  const vars = new Map<string, string>();
  const out: string[] = [];
  for (const [i, line] of script.split('\n').entries()) {
    const meta = /^\s*\\(\w+)\s*(.*)$/.exec(line);
    if (meta) {
      const [, cmd, rest = ''] = meta;
      const args = rest.trim().split(/\s+/).filter(Boolean);
      if (cmd === 'getenv' && args[0]) {
        const v = env[args[1] ?? ''];
        if (v !== undefined) vars.set(args[0], v);
        else vars.delete(args[0]);
      } else if (cmd === 'set' && args[0]) vars.set(args[0], args.slice(1).join(''));
      else throw new Error(`psql:${file}:${i + 1}: invalid command \\${cmd} (the double runs \\getenv and \\set only)`);
      out.push('');
      continue;
    }
    out.push(
      line.replace(/(?<!:):(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/g, (m, q: string, name: string) => {
        const v = vars.get(name);
        if (v === undefined) return m;
        if (q === "'") return `'${v.replace(/'/g, "''")}'`;
        if (q === '"') return `"${v.replace(/"/g, '""')}"`;
        return v;
      }),
    );
  }
  return out.join('\n');
}

/** Runs an init script on the server at `socketDir` as `user`, in `database`. */
export async function runScript(
  script: string,
  file: string,
  conn: { socketDir: string; port: number; user: string; database: string },
): Promise<void> {
  const sql = interpolate(script, process.env, file);
  const client = new pg.Client({ host: conn.socketDir, port: conn.port, user: conn.user, database: conn.database });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
