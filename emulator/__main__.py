"""``python -m emulator``: the ``scim-emulator`` console script (``serve`` when no command is given)."""

from .console import main

if __name__ == "__main__":
    main(prog_name="python -m emulator")
