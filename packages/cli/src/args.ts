/** A small argv parser: `--flag value`, `--flag=value`, boolean `--flag`, positionals. */
export interface Args {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--"))
      flags.set(a.slice(2), argv[++i]!);
    else flags.set(a.slice(2), true);
  }
  return { positional, flags };
}

export function stringFlag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function intFlag(args: Args, name: string, fallback: number, min = 1, max = 1000): number {
  const v = stringFlag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

export class UsageError extends Error {}
