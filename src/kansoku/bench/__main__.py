"""``python -m kansoku.bench``: the bench commands without the rest of the CLI."""

from kansoku.bench.command import bench

if __name__ == "__main__":
    bench(prog_name="kansoku bench")
