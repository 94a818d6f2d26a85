"""``python -m workers.sandbox``: the ``sandbox`` click group, handy for subprocesses."""

from workers.sandbox.cli import sandbox

if __name__ == "__main__":
    sandbox(prog_name="python -m workers.sandbox")
