"""``python -m sandbox``: the ``sandbox`` click group, handy for subprocesses."""

from sandbox.cli import sandbox

if __name__ == "__main__":
    sandbox(prog_name="python -m sandbox")
