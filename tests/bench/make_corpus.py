#!/usr/bin/python3
"""The benchmark corpus (shared by tests/bench/bench_analyzer.sh and bench_scale.sh): real
code on this machine that nobody here wrote, copied into a git repository with one commit
of a fixed date, so every run and every machine with the same Debian packages gets the
same files. Does nothing when CORPUS already is a git repository.

  make_corpus.py CORPUS LISTING   (LISTING: one path per line of the files picked)

- the first 30k lines of /usr/lib/python3.11/*.py in name order (no test_* files: the
  default excludes skip them)
- the first 22k lines of npm's own JavaScript (lib/, then its bundled node_modules/, with
  node_modules/dist/build path parts renamed: the analyzer always skips those folders)
- 5k lines of /usr/include/*.h"""
import glob
import os
import shutil
import subprocess
import sys


def build(corpus, listing):
    os.makedirs(corpus)
    picked = []
    def lines(p):
        with open(p, 'rb') as f:
            return f.read().count(b'\n')
    def take(paths, budget, dest, rename=lambda r: r):
        total = 0
        for src, rel in paths:
            if total >= budget:
                break
            if os.path.getsize(src) > 1024 * 1024 or os.path.getsize(src) == 0:
                continue
            n = lines(src)
            out = os.path.join(corpus, dest, rename(rel))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            shutil.copyfile(src, out)
            picked.append(out)
            total += n
        return total
    # Python's standard library: top-level modules in name order (no test_* files: the default
    # excludes skip them)
    py = sorted(p for p in glob.glob('/usr/lib/python3.11/*.py')
                if not os.path.basename(p).startswith('test_'))
    n_py = take([(p, os.path.basename(p)) for p in py], 30000, 'python')
    # npm's own JavaScript: lib/ first, then its bundled dependencies (node_modules renamed:
    # the analyzer always skips node_modules/, dist/ and build/ directories)
    npm = os.path.realpath('/usr/lib/node_modules/npm')
    js = []
    for root in ('lib', 'node_modules'):
        for dirpath, dirs, files in os.walk(os.path.join(npm, root)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith('.js'):
                    full = os.path.join(dirpath, f)
                    js.append((full, os.path.relpath(full, npm)))
    ren = lambda r: '/'.join({'node_modules': 'deps', 'dist': 'dist_', 'build': 'build_'}.get(c, c)
                             for c in r.split('/'))
    n_js = take(js, 22000, 'npm', ren)
    # C headers from /usr/include (declarations mostly)
    h = sorted(glob.glob('/usr/include/*.h'))
    n_c = take([(p, os.path.basename(p)) for p in h], 5000, 'c')
    with open(listing, 'w') as f:
        f.write('\n'.join(picked) + '\n')
    print(f"corpus: python {n_py} lines, javascript {n_js} lines, c {n_c} lines, "
          f"{len(picked)} files, {sum(os.path.getsize(p) for p in picked)} bytes")
    env = dict(os.environ, GIT_AUTHOR_DATE="@1700000000 +0000",
               GIT_COMMITTER_DATE="@1700000000 +0000")
    for cmd in (["git", "init", "-q", "."], ["git", "config", "user.email", "bench@example.com"],
                ["git", "config", "user.name", "Bench"], ["git", "add", "-A"],
                ["git", "commit", "-q", "-m", "corpus"]):
        subprocess.run(cmd, cwd=corpus, env=env, check=True)


def main():
    if len(sys.argv) != 3:
        print("usage: make_corpus.py CORPUS LISTING", file=sys.stderr)
        return 2
    corpus, listing = sys.argv[1], sys.argv[2]
    if os.path.isdir(os.path.join(corpus, ".git")) and os.path.isfile(listing):
        return 0
    shutil.rmtree(corpus, ignore_errors=True)
    build(corpus, listing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
